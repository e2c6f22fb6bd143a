"""AppTest entry point: runs dashboard.py from outside the project folder.

AppTest's page switching also discovers the old-style `pages/` folder next to the script it starts
from and would run a page file on its own, without the router and its sidebar. Starting here, where
there is no `pages/` folder, makes switch_page go through st.navigation as the real server does.
"""

import runpy
from pathlib import Path

runpy.run_path(str(Path(__file__).resolve().parents[2] / "dashboard.py"), run_name="__main__")
