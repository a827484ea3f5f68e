"""Summarises bench/peers/run.sh output (JSON lines) into a Markdown table of medians."""
import json
import statistics
import sys
from collections import defaultdict

runs = defaultdict(list)
fast = defaultdict(list)  # time to 99 %: rakam's cnn-fast and PyTorch's fast recipe, by peer
for line in open(sys.argv[1]):
    line = line.strip()
    if line.startswith("{"):
        r = json.loads(line)
        if r["model"] in ("cnn-fast", "fast-recipe"):
            fast[r["peer"].split()[0]].append(r)
            continue
        runs[(r["model"], r["peer"].split()[0])].append(r)

def med(rs, key):
    if key == "seconds_per_epoch":
        return statistics.median(statistics.median(r[key]) for r in rs)
    return statistics.median(r[key] for r in rs)

print("| model | peer | batch | s/epoch rakam | s/epoch peer | peer ÷ rakam | train img/s rakam | infer img/s rakam | infer img/s peer | peer ÷ rakam (infer time) | peak RSS MB rakam / peer | test acc rakam / peer |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|")
models = []
for (m, p) in runs:
    if m not in models:
        models.append(m)
for m in models:
    ours = runs.get((m, "rakam"))
    for (mm, p), theirs in runs.items():
        if mm != m or p == "rakam" or not ours:
            continue
        s_r, s_p = med(ours, "seconds_per_epoch"), med(theirs, "seconds_per_epoch")
        i_r, i_p = med(ours, "infer_images_per_second"), med(theirs, "infer_images_per_second")
        batch = str(ours[0]['batch'])
        if theirs[0].get('batch', ours[0]['batch']) != ours[0]['batch']:
            batch += f" / {theirs[0]['batch']} (differ!)"
        print(f"| {m} | {theirs[0]['peer']} | {batch} | {s_r:.2f} | {s_p:.2f} | {s_p / s_r:.2f}× | "
              f"{med(ours, 'train_images_per_second'):,.0f} | {i_r:,.0f} | {i_p:,.0f} | {i_r / i_p:.2f}× | "
              f"{med(ours, 'peak_rss_mb'):.0f} / {med(theirs, 'peak_rss_mb'):.0f} | "
              f"{med(ours, 'test_accuracy'):.4f} / {med(theirs, 'test_accuracy'):.4f} |")
if runs:
    print(f"\n{len(next(iter(runs.values())))} repetitions per cell; medians.")
if fast:
    def secs(r):
        return r["train_seconds"] if "train_seconds" in r else sum(r["seconds_per_epoch"])
    print("\n| time to 99 % | seeds | train s (median) | train s per seed | test accuracy per seed | mean | at 99 % |")
    print("|---|---:|---:|---|---|---:|---:|")
    med_s = {}
    for peer, rs in fast.items():
        rs.sort(key=lambda r: r["seed"])
        name = "rakam cnn-fast" if peer == "rakam" else f"{rs[0]['peer']} published recipe"
        med_s[peer] = statistics.median(secs(r) for r in rs)
        accs = [r["test_accuracy"] for r in rs]
        print(f"| {name} | {len(rs)} | {med_s[peer]:.2f} | {', '.join(f'{secs(r):.2f}' for r in rs)} | "
              f"{', '.join(f'{a:.4f}' for a in accs)} | {statistics.mean(accs):.4f} | {sum(a >= 0.99 for a in accs)} of {len(accs)} |")
    if "rakam" in med_s and len(med_s) > 1:
        other = next(p for p in med_s if p != "rakam")
        print(f"\nPyTorch's median training time ÷ rakam's: {med_s[other] / med_s['rakam']:.2f}×")
