"""One CSRF field for every form: the global renders it, and no template writes its own."""

from pathlib import Path

from web.templating import make_template_engine

TEMPLATES = Path(__file__).parents[3] / "web" / "templates"


def test_the_field_carries_the_token_escaped():
    engine = make_template_engine(TEMPLATES)
    template = engine.engine.from_string("<form>{{ csrf_field() }}</form>")
    html = template.render(csrf_token='a"b<c')
    assert html == '<form><input type="hidden" name="csrf_token" value="a&#34;b&lt;c"></form>'


def test_no_template_writes_the_field_by_hand():
    copies = [
        str(path.relative_to(TEMPLATES))
        for path in TEMPLATES.rglob("*.html")
        if 'name="csrf_token"' in path.read_text()
    ]
    assert copies == [], "use {{ csrf_field() }} instead"
