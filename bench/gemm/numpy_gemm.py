"""Time NumPy's float32 matmul for bench/gemm/run.sh.

Prints one JSON object per (thread count, shape) with every repetition's
GFLOP/s and their median, plus one object describing the BLAS that
threadpoolctl finds (library, version, kernel "architecture").
Usage: python3 numpy_gemm.py SHAPES THREADS REPS MINTIME_SECONDS
SHAPES are MxKxN: A is MxK, B is KxN.
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
    shapes = [tuple(int(d) for d in s.split("x")) for s in sys.argv[1].split(",")]
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
        for m, k, n in shapes:
            a = rng.random((m, k), dtype=np.float32) - 0.5
            b = rng.random((k, n), dtype=np.float32) - 0.5
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
            print(json.dumps({"impl": "numpy", "shape": f"{m}x{k}x{n}", "threads": th,
                              "gflops": res, "median": statistics.median(res)}))
        if ctx:
            ctx.__exit__(None, None, None)


if __name__ == "__main__":
    main()
