"""Plots for `nanogate report DIR` (matplotlib, Agg): base64 PNGs of what the
folder's JSON files hold. The report itself is written by the C++ CLI; this
module only draws.

``python -m nanogate.plots DIR OUT.json`` writes {name: base64 PNG} for the
plots it can make: "layers" (estimated LUTs per layer) and "stages" (delay per
pipeline stage) from report.json, "profile" (observed range against each
type's range, log2 of |value|) from profile.json, "rate" (rate against
threshold) and "efficiency" (signal efficiency against rate) from rate.json.
Raises ImportError when matplotlib is not installed.
"""
import base64
import io
import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def _png(fig):
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _bars(labels, values, xlabel, title):
    fig, ax = plt.subplots(figsize=(8, 0.3 * len(labels) + 1.2))
    ax.barh(range(len(labels)), values, color="#4477aa")
    ax.set_yticks(range(len(labels)), labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    return _png(fig)


def project_plots(j):
    """{"layers", "stages"} from a report.json dict (those it holds)."""
    out = {}
    if j.get("layers"):
        out["layers"] = _bars([l["name"] for l in j["layers"]], [l.get("luts_est", 0) for l in j["layers"]],
                              "estimated LUTs", "resources per layer")
    stages = j.get("latency", {}).get("stage_delay_ns")
    if stages:
        out["stages"] = _bars([f"stage {k}" for k in range(len(stages))], stages, "delay (ns)", "delay per stage")
    return out


def profile_plot(j):
    """The observed [min, max] of every tensor against its type's range and the
    range of its exact (pre-cast) result, on a signed log2(|value| + 1) axis."""
    import math

    def s(v):
        return math.copysign(math.log2(abs(v) + 1), v)

    ts = j["tensors"]
    fig, ax = plt.subplots(figsize=(8, 0.35 * len(ts) + 1.2))
    for k, t in enumerate(ts):
        ax.plot([s(t["range"][0]), s(t["range"][1])], [k, k], color="#cccccc", lw=8, solid_capstyle="butt")
        color = "#cc3311" if t["overflows"] else "#4477aa"
        ax.plot([s(t["observed"]["min"]), s(t["observed"]["max"])], [k, k], color=color, lw=4)
        e = t.get("exact")
        if e and e.get("min") is not None and not t["by_model"]:
            ax.plot([s(e["min"]), s(e["max"])], [k + 0.3, k + 0.3], color="black", lw=1)
    ax.set_yticks(range(len(ts)), [t["tensor"] for t in ts], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("sign(v) log2(|v| + 1): grey = type range, bar = observed (red: overflows), line = exact result")
    ax.set_title("precision profile")
    return _png(fig)


def rate_plots(j):
    """{"rate", "efficiency"} from a rate.json dict."""
    c = j["curve"]
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.step(c["threshold_value"], c["rate_khz"], where="post")
    ax.set_yscale("log")
    ax.axvline(j["threshold"]["threshold_value"], color="#cc3311", ls="--")
    ax.set_xlabel("threshold (score units)")
    ax.set_ylabel("rate (kHz)")
    ax.set_title("background rate")
    out = {"rate": _png(fig)}
    if j["signal_names"]:
        fig, ax = plt.subplots(figsize=(7, 4))
        for name, eff in zip(j["signal_names"], c["efficiency"]):
            ax.plot(c["rate_khz"], eff, label=name)
        ax.set_xscale("log")
        ax.axvline(max(j["threshold"]["rate_khz"], 1e-3), color="#cc3311", ls="--")
        ax.set_xlabel("rate (kHz)")
        ax.set_ylabel("signal efficiency")
        ax.legend()
        ax.set_title("efficiency against rate")
        out["efficiency"] = _png(fig)
    return out


def folder_plots(folder):
    """Every plot the folder's report.json, profile.json and rate.json allow."""
    d = Path(folder)
    out = {}
    if (d / "report.json").exists():
        out.update(project_plots(json.loads((d / "report.json").read_text())))
    if (d / "profile.json").exists():
        out["profile"] = profile_plot(json.loads((d / "profile.json").read_text()))
    if (d / "rate.json").exists():
        out.update(rate_plots(json.loads((d / "rate.json").read_text())))
    return out


if __name__ == "__main__":
    Path(sys.argv[2]).write_text(json.dumps(folder_plots(sys.argv[1])))
