"""Which outputs are sensitive: declared secret keys, and any text holding a secret value as is
or URL-encoded; the same rules on the agent's disk and on the control plane's pages."""

from urllib.parse import quote, quote_plus

from agent.protocol.redaction import MASK, insensitive_outputs, mask_outputs, secret_texts

PASSWORD = "p@ss w/rd:1%"


def test_secret_keys_are_masked_whole_and_their_value_everywhere_else():
    outputs = {
        "url": f"postgresql://app:{quote(PASSWORD, safe='')}@db:5432/app",
        "password": PASSWORD,
        "echo": f"the password is {PASSWORD}",
        "user": "app",
    }
    shown, hidden = mask_outputs(outputs, ["url", "password"], [])
    assert shown == {
        "url": MASK,
        "password": MASK,
        "echo": f"the password is {MASK}",
        "user": "app",
    }
    assert sorted(hidden) == ["echo", "password", "url"]


def test_project_secrets_are_found_raw_and_url_encoded():
    outputs = {
        "raw": f"x{PASSWORD}x",
        "quoted": f"pg://u:{quote(PASSWORD, safe='')}@db/x",
        "path_quoted": f"http://h/{quote(PASSWORD)}",
        "form": f"a=1&pw={quote_plus(PASSWORD)}",
        "nested": {"list": [PASSWORD, "fine"]},
        "port": 5432,
        "flag": True,
    }
    shown, hidden = mask_outputs(outputs, [], [PASSWORD, ""])
    assert shown["raw"] == f"x{MASK}x"
    assert shown["quoted"] == f"pg://u:{MASK}@db/x"
    assert shown["path_quoted"] == f"http://h/{MASK}"
    assert shown["form"] == f"a=1&pw={MASK}"
    assert shown["nested"] == {"list": [MASK, "fine"]}
    assert shown["port"] == 5432 and shown["flag"] is True
    assert sorted(hidden) == ["form", "nested", "path_quoted", "quoted", "raw"]


def test_a_number_equal_to_a_secret_is_masked_and_nothing_else_changes():
    shown, hidden = mask_outputs({"pin": 4711, "port": 5432}, [], ["4711"])
    assert shown == {"pin": MASK, "port": 5432} and hidden == ["pin"]
    assert mask_outputs({"a": "b"}, [], []) == ({"a": "b"}, [])


def test_the_disk_copy_keeps_only_what_holds_nothing_sensitive():
    url = "pg://u:s3cr3t@db/x"
    outputs = {"url": url, "host": "db", "dsn": f"DSN={url}", "port": 5432}
    assert insensitive_outputs(outputs, ["url"], []) == {"host": "db", "port": 5432}
    assert insensitive_outputs(outputs, [], ["nothing-like-it"]) == outputs


def test_secret_texts_of_a_step_feed_the_steps_after_it():
    outputs = {"password": "gen-123", "port": 5432, "nested": {"k": ["t0k"]}, "user": "app"}
    assert secret_texts(outputs, ["password", "port", "nested", "missing"]) == [
        "gen-123",
        "5432",
        "t0k",
    ]
    later = {"env": "DATABASE_URL=postgresql://app:gen-123@db/app"}
    shown, _ = mask_outputs(later, [], secret_texts(outputs, ["password"]))
    assert shown == {"env": f"DATABASE_URL=postgresql://app:{MASK}@db/app"}
