# lit configuration for llmopt: dialect, importer, pass, pipeline and artifact tests.
import os

import lit.formats
from lit.llvm import llvm_config

config.name = "llmopt"
try:
    config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
except ValueError:  # lit 23 deprecates the external shell, which the tests use ($?, ;)
    config.test_format = lit.formats.ShTest(True, force_execute_external=True)
# .yaml files are pipeline inputs (tests/lit/**/Inputs), never tests themselves.
config.suffixes = [".mlir", ".onnxtxt", ".test"]
config.excludes = ["lit.cfg.py", "lit.site.cfg.py", "CMakeLists.txt", "Inputs"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.llmopt_obj_root, "tests", "lit")

# FileCheck, count, not (and split-file, via PATH) from LLVM 16.
llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)

tools_dir = os.path.join(config.llmopt_obj_root, "tools")
llvm_config.add_tool_substitutions(
    ["llmopt-opt", "llmopt"],
    [os.path.join(tools_dir, "llmopt-opt"), os.path.join(tools_dir, "llmopt")])
config.substitutions.append(
    ("%fixtures", os.path.join(config.llmopt_src_root, "tests", "fixtures")))
