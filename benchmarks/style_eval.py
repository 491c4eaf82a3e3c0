"""Vocabulary and clarity on real chats: metric distributions, levels, and agreement with people.

Data (read in place, never copied):
  ../shared/data/chats_fr_pmc/conversations.jsonl   the real French chats, scored once with
                                                    the grid (canned replies counted in a
                                                    first pass, as score_archive does)
  benchmarks/data/graded_style_fr.jsonl             frozen: 60 of them graded by a person from
                                                    the rubric style_rubric_fr.md
  benchmarks/data/graded_style_b_fr_r{1,2,3}.jsonl  frozen: the 93 other reviewable ones,
                                                    each graded by three people apart
  benchmarks/data/graded_style_dev_fr*.jsonl        60 others, graded by three people apart
                                                    (one file each), the set the thresholds
                                                    are tuned on
  benchmarks/data/style_{c,d,f,...,k}_fr.jsonl      frozen: nine times 60 invented chats
  benchmarks/data/graded_style_{c,...,k}_fr_r{1,2,3}.jsonl  written from a brief, graded apart
                                                    by three people from the same rubric
                                                    (scored on their own file; INVENTED)
  benchmarks/data/style_e_fr.jsonl, graded_style_e_fr_r{1,2,3}.jsonl  60 more, made the same
                                                    way: a tuning set (dev_e)

Prints, for the PMC chats: percentiles of every vocabulary and clarity metric and of the share
of canned text; how many conversations land at each level of `richesse_vocabulaire` and
`clarte`, and the share of reviewable ones given a level (target 80 %): reviewable as the
rubric's graders count (20 advisor words or more) and as the grid's ``[reviewable]`` says (a
customer and an advisor who both wrote, the customer not gone after the first answer), and
from how few own words a level would have to be given for 80 %. For each
graded set and criterion: quadratic-weighted Cohen's kappa between the grid's level and the
graders' (their consensus where several graded the same chats: the lower median of the levels
given, ``na`` where most graders said ``na``), on the conversations both gave a level to, with
a bootstrap 95 % interval (2,000 resamples), and the agreement on `na`; with several graders,
also each grader against the grid and the graders against each other (what agreement people
reach on these chats). Plots (histograms of the metrics, coloured by the grid's level) are
saved as PNG in --plots.

    python benchmarks/style_eval.py [--grid fr_chat] [--plots benchmarks/out/style]
        [--tune] [--sets dev,dev_e,frozen,frozen_b,frozen_c,...,frozen_k,thin_real,
                  thin_a,thin_b,thin_c]
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from markers_eval import frozen_status  # beside this script

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "data"
PMC = SHARED / "chats_fr_pmc" / "conversations.jsonl"
DATA = REPO / "benchmarks" / "data"
GRADED = {"frozen": ("graded_style_fr.jsonl",),
          "frozen_b": tuple(f"graded_style_b_fr_r{k}.jsonl" for k in (1, 2, 3)),
          "dev": ("graded_style_dev_fr.jsonl", "graded_style_dev_fr_r2.jsonl",
                  "graded_style_dev_fr_r3.jsonl")}
#: The invented sets by name and letter, each graded by three people; e is a tuning set.
INVENTED = {"frozen_c": "c", "frozen_d": "d", "dev_e": "e", "frozen_f": "f", "frozen_g": "g",
            "frozen_h": "h", "frozen_i": "i", "frozen_j": "j",
            "frozen_k": "k", "thin_a": "thin_a", "thin_b": "thin_b",
            "thin_c": "thin_c"}
GRADED |= {name: tuple(f"graded_style_{k}_fr_r{r}.jsonl" for r in (1, 2, 3))
           for name, k in INVENTED.items()}
#: Real PMC chats with 1 to 19 own words, graded from the rubric's thin-text addendum.
GRADED["thin_real"] = tuple(f"graded_style_thin_real_fr_r{r}.jsonl" for r in (1, 2, 3))
#: The thin tier: chats with this many own words (and fewer than 15) get a level from the
#: thin-text addendum's threshold on (benchmarks/data/README.md, « Thin own text »).
THIN_WORDS = (8, 15)
#: Graded sets whose conversations are not the PMC chats: scored on their own file, canned
#: replies counted in that file (as score_archive does on any archive).
ARCHIVES = {name: DATA / f"style_{k}_fr.jsonl" for name, k in INVENTED.items()}
CRITERIA = ("richesse_vocabulaire", "clarte")
LEVELS = ("a_ameliorer", "bon", "exceptionnel")
METRICS = ("own_words", "macro_text_ratio", "vocabulary_issues_per_100_words", "zipf_mean",
           "rare_word_ratio", "long_word_ratio", "connectors", "repeated_passages",
           "mattr_ratio", "mattr_lemma_ratio", "hdd_ratio", "hdd_lemma_ratio", "mtld_score",
           "mtld_lemma_score", "sentence_words_mean", "longest_sentence_words", "flesch_score",
           "lix_score", "dependency_distance_mean", "subordinate_clauses_per_sentence",
           "passive_sentence_ratio", "long_noun_chains", "clarity_issues",
           "clarity_issues_per_100_words", "jargon_per_100_words",
           "familiar_register_marks", "familiar_register_marks_per_100_words",
           "wall_of_text_messages", "raw_paste_messages", "run_on_sentences", "one_word_replies",
           "multi_question_messages",
           "not_understood_messages")
REVIEWABLE_WORDS = 20
sys.path.insert(0, str(REPO))


def score(grid: str, archive: Path = PMC):
    """The chats of ``archive`` (the PMC chats) scored with ``grid``: (conversations, forms)."""
    import chatqa

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # W001: clock times without a date
        tables = chatqa.Pipeline.from_grid(grid).score_archive(archive, progress=False)
    return tables.conversations.set_index("conversation_id"), tables.forms


def levels_of(forms: pd.DataFrame, criterion: str) -> pd.Series:
    sub = forms[forms.criterion == criterion]
    return sub.set_index("conversation_id")["level"]


def qwk(human: list[str], machine: list[str]) -> float:
    from sklearn.metrics import cohen_kappa_score

    if len(set(human) | set(machine)) < 2:
        return float("nan")
    return cohen_kappa_score(human, machine, labels=list(LEVELS), weights="quadratic")


def bootstrap(human: list[str], machine: list[str], n: int = 2000, seed: int = 0):
    rng = np.random.default_rng(seed)
    h, m = np.array(human), np.array(machine)
    values = []
    for _ in range(n):
        idx = rng.integers(0, len(h), len(h))
        k = qwk(list(h[idx]), list(m[idx]))
        if k == k:
            values.append(k)
    return (np.percentile(values, 2.5), np.percentile(values, 97.5)) if values else (np.nan,) * 2


def consensus(levels: list[str]) -> str:
    """The graders' level: ``na`` where more said so than not, else the lower median level."""
    given = sorted((lv for lv in levels if lv in LEVELS), key=LEVELS.index)
    if len(levels) - len(given) > len(given) or not given:
        return "na"
    return given[(len(given) - 1) // 2]


def read_graded(files: tuple[str, ...]) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """The consensus of the graders' files that exist, and each grader's grades."""
    graders = []
    for name in files:
        path = DATA / name
        if not path.is_file():
            continue
        digest, frozen = frozen_status(path)
        print(f"   {path.name}, sha256 {digest[:16]}…  "
              f"{'FROZEN' if frozen else 'not frozen (a tuning set)'}")
        graders.append(pd.DataFrame([json.loads(line) for line in path.read_text("utf-8")
                                     .splitlines() if line.strip()])
                       .set_index("conversation_id"))
    if not graders:
        return pd.DataFrame(), []
    ids = graders[0].index
    merged = pd.DataFrame({c: [consensus([g.loc[i, c] for g in graders]) for i in ids]
                           for c in CRITERIA}, index=ids)
    return merged, graders


def paired(a: pd.Series, b: pd.Series) -> tuple[list[str], list[str]]:
    both = [(x, y) for x, y in zip(a, b.reindex(a.index), strict=True)
            if x in LEVELS and y in LEVELS]
    return [x for x, _ in both], [y for _, y in both]


def agreement(graded: pd.DataFrame, forms: pd.DataFrame, criterion: str,
              graders: list[pd.DataFrame]) -> None:
    machine = levels_of(forms, criterion).reindex(graded.index)
    human = graded[criterion]
    hs, ms = paired(human, machine)
    k = qwk(hs, ms)
    lo, hi = bootstrap(hs, ms)
    people = "graders" if len(graders) > 1 else "grader"
    who = "graders' consensus" if len(graders) > 1 else "grader"
    print(f"   {criterion:22} n={len(hs):3d}  QWK={k:+.3f}  95% CI [{lo:+.3f}, {hi:+.3f}]  "
          f"grid vs {who} (target >= 0.60)")
    table = pd.crosstab(human.rename(people), machine.rename("grid"))
    print("     " + table.to_string().replace("\n", "\n     "))
    if len(graders) < 2:
        return
    for n, grader in enumerate(graders, 1):
        g, m = paired(grader[criterion], machine)
        print(f"     grader {n} vs grid: n={len(g):3d} QWK={qwk(g, m):+.3f}")
    for (i, a), (j, b) in itertools.combinations(enumerate(graders, 1), 2):
        x, y = paired(a[criterion], b[criterion])
        agree_na = (a[criterion].eq("na") == b[criterion].reindex(a.index).eq("na")).mean()
        print(f"     grader {i} vs grader {j}: n={len(x):3d} QWK={qwk(x, y):+.3f}  "
              f"(same na or not on {agree_na:.0%})")


def distributions(conv: pd.DataFrame, forms: pd.DataFrame) -> None:
    print("== PMC chats: metric percentiles (conversations with a value)")
    rows = []
    for name in METRICS:
        values = conv[name].dropna()
        q = values.quantile([0.1, 0.25, 0.5, 0.75, 0.9]) if len(values) else [np.nan] * 5
        rows.append([name, len(values), *np.round(list(q), 2)])
    print(pd.DataFrame(rows, columns=["metric", "n", "p10", "p25", "p50", "p75", "p90"])
          .to_string(index=False))
    reviewable = conv.index[conv["advisor_words"] >= REVIEWABLE_WORDS]
    by_grid = conv.index[conv["reviewable"].astype(bool)]
    print(f"== levels ({len(conv)} conversations; reviewable: {len(reviewable)} with "
          f"{REVIEWABLE_WORDS}+ advisor words, {len(by_grid)} by the grid's [reviewable])")
    for criterion in CRITERIA:
        levels = levels_of(forms, criterion)
        counts = levels.value_counts().reindex([*LEVELS, "na"], fill_value=0)
        given = (levels.reindex(reviewable) != "na").mean()
        given_grid = (levels.reindex(by_grid) != "na").mean()
        print(f"   {criterion:22} " + "  ".join(f"{k} {v}" for k, v in counts.items())
              + f"   with a level: {given:.1%} of the {REVIEWABLE_WORDS}+ words, "
              f"{given_grid:.1%} of the grid's reviewable (target >= 80%)")
    own = conv.loc[by_grid, "own_words"].fillna(0)
    floor = next((k for k in range(int(own.max()), -1, -1) if (own >= k).mean() >= 0.8), 0)
    print(f"   own words of the grid's reviewable: {(own == 0).sum()} with none (canned text "
          f"only), {(own >= 15).mean():.1%} with 15 or more, {(own >= 20).mean():.1%} with 20 "
          f"or more; a level for 80 % would mean grading from {floor} own words")


def plots(conv: pd.DataFrame, forms: pd.DataFrame, folder: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    for criterion, names in (("richesse_vocabulaire", ("own_words", "macro_text_ratio",
                                                       "vocabulary_issues_per_100_words",
                                                       "zipf_mean", "rare_word_ratio",
                                                       "lix_score")),
                             ("clarte", ("sentence_words_mean", "longest_sentence_words",
                                         "flesch_score",
                                         "clarity_issues_per_100_words",
                                         "subordinate_clauses_per_sentence",
                                         "dependency_distance_mean"))):
        levels = levels_of(forms, criterion).reindex(conv.index)
        fig, axes = plt.subplots(2, 3, figsize=(13, 7))
        for ax, name in zip(axes.flat, names, strict=True):
            data = [conv.loc[levels == lv, name].dropna() for lv in (*LEVELS, "na")]
            ax.hist(data, bins=20, stacked=True, label=[*LEVELS, "na"])
            ax.set_title(name, fontsize=9)
        axes.flat[0].legend(fontsize=7)
        fig.suptitle(f"PMC chats: metrics by the grid's level of {criterion}")
        fig.tight_layout()
        path = folder / f"style_{criterion}.png"
        fig.savefig(path, dpi=80)
        plt.close(fig)
        print(f"   plot: {path.relative_to(REPO) if path.is_relative_to(REPO) else path}")


def thin_tier(graded: pd.DataFrame, conv: pd.DataFrame, forms: pd.DataFrame) -> None:
    """The chats of a graded set with 8 to 14 own words: who gives them a level, and which."""
    own = conv["own_words"].reindex(graded.index).fillna(0)
    thin = graded.index[(own >= THIN_WORDS[0]) & (own < THIN_WORDS[1])]
    if len(thin) == 0:
        return
    print(f"   thin tier: {len(thin)} conversations with {THIN_WORDS[0]} to "
          f"{THIN_WORDS[1] - 1} own words")
    for criterion in CRITERIA:
        human = graded.loc[thin, criterion]
        machine = levels_of(forms, criterion).reindex(thin)
        hs, ms = paired(human, machine)
        exact = np.mean([h == m for h, m in zip(hs, ms, strict=True)]) if hs else np.nan
        print(f"     {criterion:22} graders give a level to {(human != 'na').mean():.0%} "
              f"(target >= 67%), the grid to {(machine != 'na').mean():.0%}; on {len(hs)} "
              f"pairs: same level {exact:.0%}, QWK={qwk(hs, ms):+.3f}")


def tune(conv: pd.DataFrame, graded: pd.DataFrame) -> None:
    """Print the dev-set QWK of one-metric bands over a grid of edges (for choosing them)."""
    for criterion in CRITERIA:
        human = graded[criterion]
        ids = [i for i, h in human.items() if h in LEVELS and i in conv.index
               and conv.loc[i, "own_words"] >= 15]
        best = []
        for name in METRICS:
            values = conv.loc[ids, name]
            if values.isna().mean() > 0.2:
                continue
            edges = sorted(set(np.round(values.dropna().quantile(np.linspace(0.05, 0.95, 19)),
                                        2)))
            for sign in (1, -1):
                for lo in edges:
                    for hi in edges:
                        if hi <= lo:
                            continue
                        v = sign * values
                        a, b = (lo, hi) if sign == 1 else (-hi, -lo)
                        machine = ["exceptionnel" if x >= b else "bon" if x >= a
                                   else "a_ameliorer" for x in v.fillna(a)]
                        best.append((qwk(list(human[ids]), machine), name, sign, lo, hi))
        best.sort(reverse=True)
        print(f"-- tune {criterion}: best single-metric bands on dev (n={len(ids)})")
        for k, name, sign, lo, hi in best[:8]:
            print(f"   QWK {k:+.3f}  {name} {'higher' if sign == 1 else 'lower'} is better, "
                  f"edges {lo} / {hi}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grid", default="fr_chat")
    parser.add_argument("--plots", type=Path, default=REPO / "benchmarks" / "out" / "style")
    parser.add_argument("--tune", action="store_true", help="search bands on the dev set")
    parser.add_argument("--sets", default=",".join(GRADED),
                        help="graded sets to score (dev while tuning: the frozen set is scored "
                             "once the thresholds are chosen)")
    args = parser.parse_args()
    if not PMC.is_file():
        sys.exit(f"shared data not found: {PMC}")
    conv, forms = score(args.grid)
    distributions(conv, forms)
    plots(conv, forms, args.plots)
    for name, files in GRADED.items():
        if name not in args.sets.split(","):
            continue
        print(f"== graded {name}:")
        graded, graders = read_graded(files)
        if graded.empty:
            print("   (no file)")
            continue
        print(f"   {len(graded)} conversations, {len(graders)} grader(s)")
        own_conv, own_forms = score(args.grid, ARCHIVES[name]) if name in ARCHIVES \
            else (conv, forms)
        for criterion in CRITERIA:
            agreement(graded, own_forms, criterion, graders)
        thin_tier(graded, own_conv, own_forms)
        if args.tune and name == "dev":
            tune(conv, graded)
    return 0


if __name__ == "__main__":
    sys.exit(main())
