"""app.py as AppTest runs it: the same script, started from this folder.

AppTest forgets before every run whether the app uses the legacy ``pages/`` layout, and a ``pages/``
folder beside the main script makes every run take it (ui/navigation.py explains the layout); a real
server takes it only on its first run. Started from here, where there is no ``pages/`` folder, every
run is what a server's every later run is. The first run of a fresh server is tested in a real browser
(tests/e2e/test_layout.py).
"""

import runpy
from pathlib import Path

runpy.run_path(str(Path(__file__).resolve().parent.parent / "app.py"), run_name="__main__")
