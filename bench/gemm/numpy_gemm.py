"""Time NumPy's float32 matmul for bench/gemm/run.sh.

Prints one JSON object per (thread count, shape) with every repetition's
GFLOP/s and their median, plus one object describing the BLAS that
threadpoolctl finds (library, version, kernel "architecture").
Usage: python3 numpy_gemm.py SHAPES THREADS REPS MINTIME_SECONDS
SHAPES are MxKxN[:TN|:NT|:TT]: A is MxK, B is KxN; T marks an operand stored
transposed (A as KxM, B as NxK), multiplied through a transposed view, which
NumPy hands to BLAS as a transpose flag.
"""
import json
import statistics
import sys
import time

import numpy as np

try:
    from threadpoolctl import threadpool_info, threadpool_limits
except ImportError:  # still measures, but cannot pin the thread count
    threadpool_info = None


def main():
    shapes = []
    for s in sys.argv[1].split(","):
        dims, _, trans = s.partition(":")
        shapes.append((s, *(int(d) for d in dims.split("x")), trans or "NN"))
    threads = [int(t) for t in sys.argv[2].split(",")]
    reps = int(sys.argv[3])
    min_time = float(sys.argv[4])
    info = threadpool_info() if threadpool_info else []
    blas = [i for i in info if i.get("user_api") == "blas"]
    print(json.dumps({"impl": "numpy-info", "numpy": np.__version__, "blas": blas}))
    rng = np.random.default_rng(1)
    for th in threads:
        ctx = threadpool_limits(th, user_api="blas") if threadpool_info else None
        if ctx:
            ctx.__enter__()
        for name, m, k, n, trans in shapes:
            a = rng.random((k, m) if trans[0] == "T" else (m, k), dtype=np.float32) - 0.5
            b = rng.random((n, k) if trans[1] == "T" else (k, n), dtype=np.float32) - 0.5
            if trans[0] == "T":
                a = a.T
            if trans[1] == "T":
                b = b.T
            c = np.empty((m, n), dtype=np.float32)
            np.matmul(a, b, out=c)
            flops = 2.0 * m * n * k
            res = []
            for _ in range(reps):
                calls = 0
                start = time.perf_counter()
                while calls == 0 or time.perf_counter() - start < min_time:
                    np.matmul(a, b, out=c)
                    calls += 1
                res.append(flops * calls / (time.perf_counter() - start) / 1e9)
            print(json.dumps({"impl": "numpy", "shape": name, "threads": th,
                              "gflops": res, "median": statistics.median(res)}))
        if ctx:
            ctx.__exit__(None, None, None)


if __name__ == "__main__":
    main()
