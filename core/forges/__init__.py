"""Forges (GitHub, GitLab, Gitea/Forgejo): their webhook signatures, their pull request events
turned into one internal event, and their APIs for reporting a preview back."""
