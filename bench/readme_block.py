"""Writes a benchmark's Markdown report: to its run folder, and between its markers in a README.

Each bench report (apps, scanners, eval) owns one block of bench/README.md, fenced by
`<!-- NAME:start -->` and `<!-- NAME:end -->`; a run replaces its block in place, or appends it
under `heading` the first time.
"""
import os


def write(lines, run_dir, readme=None, name=None, heading=None, readme_lines=None):
    """Print `lines`, save them as `run_dir`/report.md, and put `readme_lines` (default: `lines`)
    in block `name` of `readme`."""
    print("\n".join(lines))
    with open(os.path.join(run_dir, "report.md"), "w") as fh:
        fh.write("\n".join(lines) + "\n")
    if not readme:
        return
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    with open(readme) as fh:
        text = fh.read()
    block = "\n".join([start, ""] + (lines if readme_lines is None else readme_lines) + ["", end])
    i, j = text.find(start), text.find(end)
    if i >= 0 and j > i:
        text = text[:i] + block + text[j + len(end):]
    else:
        text = text.rstrip("\n") + f"\n\n## {heading}\n\n" + block + "\n"
    with open(readme, "w") as fh:
        fh.write(text)
