"""The plugins-sdk tests borrow the shared fixture modules of tests/shoaltest (the images, dockerd
and the registry); this directory is also run on its own, without tests/conftest.py."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests"))

# pytest takes `pytest_plugins` only from a conftest it loads before collecting, like this one
# (it sits at the top of a testpaths entry); modules already registered by tests/conftest.py
# are not loaded twice.
pytest_plugins = ["shoaltest.docker", "shoaltest.plugins", "shoaltest.registry"]
