"""The SDK's public API is pinned: a rename or removal must be a deliberate change here."""

import shoal_plugin

EXPECTED = [
    "EXIT_FAILED",
    "EXIT_INVALID_INPUT",
    "EXIT_OK",
    "EXIT_TERMINATED",
    "Context",
    "Deployment",
    "InvalidInput",
    "Invocation",
    "PluginError",
    "Terminated",
    "WaitTimeout",
    "__version__",
    "execute",
    "get_logger",
    "http_status",
    "invocation_document",
    "param",
    "params_schema",
    "parse_params",
    "run",
    "wait_for_http",
    "wait_for_tcp",
]


def test_all_is_pinned():
    assert shoal_plugin.__all__ == EXPECTED


def test_all_is_sorted_constants_then_classes_then_functions():
    constants = [n for n in EXPECTED if n.isupper()]
    classes = [n for n in EXPECTED if n[0].isupper() and not n.isupper()]
    rest = [n for n in EXPECTED if not n[0].isupper()]
    assert EXPECTED == sorted(constants) + sorted(classes) + sorted(rest)


def test_every_exported_name_exists():
    for name in shoal_plugin.__all__:
        assert getattr(shoal_plugin, name) is not None, name


def test_exit_codes_are_the_contract():
    assert (shoal_plugin.EXIT_OK, shoal_plugin.EXIT_FAILED, shoal_plugin.EXIT_INVALID_INPUT) == (
        0,
        1,
        2,
    )
    assert shoal_plugin.EXIT_TERMINATED == 128 + 15


def test_the_sdk_imports_only_the_standard_library():
    import ast
    import sys
    from pathlib import Path

    package = Path(shoal_plugin.__file__).parent
    for path in package.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                roots = {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                roots = {node.module.split(".")[0]}
            else:
                continue
            assert roots <= sys.stdlib_module_names, f"{path.name} imports {roots}"
