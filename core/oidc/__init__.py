"""OpenID Connect, client side: discovery, the authorization request, the code exchange and
the ID token's checks (with joserfc; nothing hand-written about JWTs). No database here."""
