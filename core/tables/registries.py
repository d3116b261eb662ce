"""Container registries images come from; credentials are stored encrypted (core.crypto)."""

from piccolo.columns import Boolean, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Registry(Table, tablename="registries"):
    name = Varchar(length=64, unique=True)
    url = Varchar(length=512)
    username = Varchar(length=256, default="")
    password_ciphertext = Text(default="")
    is_default = Boolean(default=False)
    created_at = Timestamptz(default=TimestamptzNow())
