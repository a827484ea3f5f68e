"""Summarise the JSON lines of bench/gemm/run.sh as a Markdown table.

Usage: python3 report.py META_JSON RESULTS.jsonl...
Rows with the same (implementation, shape, threads) from several rounds
are pooled; the table shows the median GFLOP/s, the spread (min-max) and
the ratio to NumPy's median at the same shape and thread count.
"""
import json
import statistics
import sys


def main():
    meta = json.load(open(sys.argv[1]))
    pooled, info = {}, None
    for path in sys.argv[2:]:
        for line in open(path):
            row = json.loads(line)
            if row["impl"] == "numpy-info":
                info = row
                continue
            key = (row["impl"], row["shape"], row["threads"])
            pooled.setdefault(key, []).extend(row["gflops"])
    med = {k: statistics.median(v) for k, v in pooled.items()}
    print(f"- date (UTC): {meta['date']}")
    print(f"- machine: {meta['cpu']}, {meta['cores']} cores; load average before/after: {meta['load_before']} / {meta['load_after']}")
    print(f"- Go: {meta['go']}; NumPy {info['numpy'] if info else '?'}", end="")
    for b in (info or {}).get("blas", []):
        print(f"; {b.get('internal_api')} {b.get('version')} kernel `{b.get('architecture')}` ({b.get('threading_layer')})", end="")
    print()
    print(f"- command: `{meta['command']}` ({meta['rounds']} rounds × {meta['reps']} repetitions of ≥ {meta['mintime']} s each)")
    print()
    shapes = []
    for k in pooled:  # in the order run.sh measured them
        if k[1] not in shapes:
            shapes.append(k[1])
    order = ["numpy", "rakam", "rakam-purego", "gonum", "gonum-noasm"]
    cols = sorted({(k[0], k[2]) for k in pooled}, key=lambda x: (x[1], order.index(x[0]) if x[0] in order else 9))
    print("| shape (MxKxN) | " + " | ".join(f"{impl} {th}T" for impl, th in cols) + " |")
    print("|---|" + "---:|" * len(cols))
    for s in shapes:
        cells = []
        for impl, th in cols:
            v = pooled.get((impl, s, th))
            if not v:
                cells.append("–")
                continue
            ref = med.get(("numpy", s, th))
            ratio = f" ({100 * med[(impl, s, th)] / ref:.0f}%)" if ref and impl != "numpy" else ""
            cells.append(f"{med[(impl, s, th)]:.1f}{ratio}")
        print(f"| {s} | " + " | ".join(cells) + " |")
    print()
    print("GFLOP/s, medians over every repetition of every round; in brackets, the share of NumPy's median at the same shape and thread count.")
    print()
    for s in shapes:
        r, g = med.get(("rakam-purego", s, 1)), med.get(("gonum", s, 1))
        if r and g:
            print(f"- {s}: rakam purego / gonum (1 thread) = {r / g:.2f}×")
        n = med.get(("gonum-noasm", s, 1))
        if r and n:
            print(f"- {s}: rakam purego / gonum built with -tags noasm, its own pure-Go path (1 thread) = {r / n:.2f}×")


if __name__ == "__main__":
    main()
