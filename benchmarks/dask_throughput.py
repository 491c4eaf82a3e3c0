"""The Dask path against score_archive(n_process=1), on copies of the PMC chats (new ids).

    python benchmarks/dask_throughput.py 4 8 unique single   # one process, writes the reference
    python benchmarks/dask_throughput.py 4 8 unique files    # 2-worker LocalCluster, 8 files
    python benchmarks/dask_throughput.py 4 8 unique frame    # the same from a Dask DataFrame

Arguments: copies of the archive, files (or partitions), ``unique`` (texts distinct per copy,
no cache help) or ``same``, then the mode. Prints seconds, messages per second, peak RSS and
whether the Dask run's conversations table equals the one-process run's. Figures and the
cost of 10 M conversations a month: docs/performance.md.
"""

from __future__ import annotations

import json
import resource
import sys
import tempfile
import time
import warnings
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pipeline_throughput import build_archive  # noqa: E402


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(copies: int, files: int, unique: bool, mode: str) -> None:
    warnings.simplefilter("ignore")
    work = Path(tempfile.gettempdir()) / "chatqa_dask_bench" / f"c{copies}{'u' if unique else ''}"
    work.mkdir(parents=True, exist_ok=True)
    archive = work / "archive.jsonl"
    n_conv, n_msg = build_archive(archive, copies, unique)
    lines = archive.read_text("utf-8").splitlines()
    parts = work / "parts"
    parts.mkdir(exist_ok=True)
    size = -(-len(lines) // files)
    for k in range(files):
        chunk = lines[k * size:(k + 1) * size]
        (parts / f"part-{k:03d}.jsonl").write_text("\n".join(chunk) + "\n", encoding="utf-8")
    n_adv = sum(1 for line in lines for m in json.loads(line)["messages"]
                if m["role"] == "agent" and not m.get("automatic_greeting"))
    print(f"archive: {n_conv} conversations, {n_msg} messages, ~{n_adv} advisor messages, "
          f"{files} files, unique={unique}")
    if mode == "single":
        import chatqa

        t = time.perf_counter()
        tables = chatqa.Pipeline.from_grid("fr_chat").score_archive(archive, progress=False)
        s = time.perf_counter() - t
        n_adv = int((tables.messages.role == "advisor").sum())
        print(f"score_archive n_process=1: {s:.1f} s, {n_msg / s:.1f} msg/s, "
              f"{n_adv / s:.1f} advisor msg/s, {n_conv / s:.2f} conv/s, "
              f"peak RSS {rss_mb():.0f} MB, macros {tables.meta['macros']}")
        tables.conversations.to_parquet(work / "single_conversations.parquet")
        return
    from distributed import Client, LocalCluster

    import chatqa.dask as cd
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        client.run(lambda: __import__("chatqa.pipeline"))  # imports only, as a running cluster
        t = time.perf_counter()
        if mode == "files":
            dt = cd.score(str(parts / "*.jsonl"), "fr_chat")
        else:
            rows = []
            for line in lines:
                r = json.loads(line)
                meta = {k: v for k, v in r.items() if k not in ("conversation_id", "messages")}
                for m in r["messages"]:
                    rows.append({"conversation_id": r["conversation_id"], **m, **meta})
            import dask.dataframe as dd

            ddf = dd.from_pandas(pd.DataFrame(rows), npartitions=files, sort=False)
            t = time.perf_counter()
            dt = cd.score(ddf, "fr_chat", message_columns=["automatic_greeting",
                                                          "agent_pseudonym",
                                                          "speaker_is_pseudonym"])
        t_macros = time.perf_counter() - t
        tables = dt.compute()
        s = time.perf_counter() - t
        n_adv = int((tables.messages.role == "advisor").sum())
        worker_rss = client.run(rss_mb)
        print(f"dask {mode} 2 workers: {s:.1f} s (macro pass {t_macros:.1f} s), "
              f"{n_msg / s:.1f} msg/s, {n_adv / s:.1f} advisor msg/s, {n_conv / s:.2f} conv/s, "
              f"worker peak RSS {sorted(round(v) for v in worker_rss.values())} MB, "
              f"macros {len(dt.macros)}, errors {len(tables.errors)}, "
              f"loads {client.run(cd.pipeline_loads)}")
        single = work / "single_conversations.parquet"
        if single.exists():
            a = pd.read_parquet(single).sort_values("conversation_id").reset_index(drop=True)
            b = tables.conversations.sort_values("conversation_id").reset_index(drop=True)
            print("conversations equal to single:", a.equals(b.astype(a.dtypes.to_dict())))


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "unique", sys.argv[4])
