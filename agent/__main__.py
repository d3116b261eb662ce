"""`python -m agent` (and the Nuitka entry point)."""

import sys
import warnings

# The executable leaves out requests' optional charset detectors (never used: the Docker API
# speaks JSON); without this, requests would warn about them at every start.
warnings.filterwarnings("ignore", message="Unable to find acceptable character detection")

from agent.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
