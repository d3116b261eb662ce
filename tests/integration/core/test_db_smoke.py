from core.services import accounts


async def test_migrated_database_accepts_a_user(db):
    assert await accounts.count_admins() == 0
    password = await accounts.ensure_first_admin(password="correct horse battery")
    assert password == "correct horse battery"
    assert await accounts.count_admins() == 1
