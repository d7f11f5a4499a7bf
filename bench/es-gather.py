# Benchmark driver (ours, calling theirs): times Enchanted Surrogates' own gathering of finished runs into one dataset, for bench/import-peer.ts.
#
# usage: python3 es-gather.py ES_CHECKOUT BASE_RUN_DIR N FN OUT_DIR
#   FN batch:  Supervisor.load_batch_to_df(run_dirs) then Supervisor.write_summary(df, write_mode="w"): what Supervisor.start does
#              with a finished batch (run_dirs named as start() names them, d0_b0_s{j}_r0 under BASE_RUN_DIR/data) -> enchanted_dataset.csv
#   FN create: Supervisor.create_dataset() (lists BASE_RUN_DIR/data itself, one pd.concat per file) then write_summary
#   FN default: all Supervisor.start does by default with one finished batch and at its end: load_batch_to_df, write_summary,
#              hdf5_append_datapoints(run_dirs) (its default storage: each run's file read again into runs.h5), finalize_summary,
#              hdf5_write_aggregate_dataset_and_metadata -> enchanted_dataset.csv + runs.h5 (needs h5py)
# Prints one line: BENCH_REPORT {"seconds", "cpuSeconds", "peakRssMb", "rows", "columns", "pandas", "es"} (the measured call only).
# Nothing here reads or writes a result file itself: the reading, concatenating and writing are Enchanted Surrogates' code, unmodified.
import json
import os
import resource
import subprocess
import sys
import time
import types

es, base, n, fn, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
src = os.path.join(es, "src")
sys.path.insert(0, src)

import enchanted_surrogates  # noqa: E402

# supervisor.py imports nested_imports, which imports executors.base_executor; executors/__init__.py imports the Dask and joblib
# executors, and dask_jobqueue has no Debian package. The gathering never uses an executor, so the package is registered without
# running its __init__; base_executor and every other module load from their own unmodified files.
executors = types.ModuleType("enchanted_surrogates.executors")
executors.__path__ = [os.path.join(src, "enchanted_surrogates", "executors")]
sys.modules["enchanted_surrogates.executors"] = executors
enchanted_surrogates.executors = executors

import pandas as pd  # noqa: E402
from enchanted_surrogates.supervisor.supervisor import Supervisor  # noqa: E402

# Supervisor.__init__ would build the samplers and executors of a config and refuse a non-empty base_run_dir; the gathering methods
# read only these attributes. The summary goes to OUT_DIR (its base_run_dir for writing), the runs are read where they are.
sup = Supervisor.__new__(Supervisor)
sup.args = types.SimpleNamespace(supervisor={})
sup.base_run_dir = out
sup.data_dir = os.path.join(base, "data")
# the metadata hdf5_write_aggregate_dataset_and_metadata records: one run group (its sampler's class name, no executors)
sup.nested_groups = [types.SimpleNamespace(sampler=types.SimpleNamespace(), executors=[], runners=[])]
os.makedirs(out, exist_ok=True)

t0 = time.perf_counter()
c0 = time.process_time()
run_dirs = [os.path.join(base, "data", f"d0_b0_s{j}_r0") for j in range(n)]
if fn == "batch":
    df = sup.load_batch_to_df(run_dirs)
    sup.write_summary(df, write_mode="w")
elif fn == "create":
    df = sup.create_dataset()
    sup.write_summary(df, write_mode="w")
elif fn == "default":
    # the order of Supervisor.start for batch 0 of the only run group, then its end (storage not "None": runs.h5)
    df = sup.load_batch_to_df(run_dirs)
    sup.write_summary(df, write_mode="w")
    sup.hdf5_append_datapoints(run_dirs)
    sup.finalize_summary()
    sup.hdf5_write_aggregate_dataset_and_metadata(df)
else:
    raise SystemExit(f"es-gather.py: unknown FN {fn!r} (batch, create or default)")
seconds = time.perf_counter() - t0
cpu = time.process_time() - c0

try:
    commit = subprocess.run(["git", "-C", es, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
except OSError:
    commit = ""
report = {
    "seconds": seconds,
    "cpuSeconds": cpu,
    "peakRssMb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "rows": len(df),
    "columns": len(df.columns),
    "pandas": pd.__version__,
    "es": commit,
}
print("BENCH_REPORT " + json.dumps(report), flush=True)
