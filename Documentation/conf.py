# SPDX-License-Identifier: GPL-2.0
#
# Sphinx configuration for ionode's documentation: `make htmldocs` renders
# it into build/htmldocs, warnings fatal (sphinx-build -W). The API
# reference comes from the sources' kernel-doc comments, through the
# kernel's own kernel-doc extension and script, used in place from Debian's
# linux-source-6.1 (KERNEL_SRC, unpacked by tools/install-deps.sh).

import os
import sys

kernel_src = os.environ.get("KERNEL_SRC", "/usr/src/linux-source-6.1")
sys.path.insert(0, os.path.join(kernel_src, "Documentation", "sphinx"))

# A kernel-doc warning fails the kernel-doc run, which the extension
# reports as a Sphinx warning: -W makes it fatal.
os.environ["KDOC_WERROR"] = "1"

project = "ionode"
copyright = "the ionode authors"
master_doc = "index"
extensions = ["kerneldoc"]
kerneldoc_bin = os.path.join(kernel_src, "scripts", "kernel-doc")
# Paths in kernel-doc directives are relative to the repository root.
kerneldoc_srctree = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
primary_domain = "c"
highlight_language = "none"
exclude_patterns = []
html_theme = "alabaster"
html_static_path = []
