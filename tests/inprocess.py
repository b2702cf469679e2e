"""Run the `fuzzgen` command in this process: the same code path as the console script, without
paying a JAX import per call (the bad-input tables run dozens of commands)."""
from fuzzgen.cli.main import main


def run_main(capsys, *argv):
    """Returns (exit status, stdout, stderr) of `fuzzgen ARGV`."""
    capsys.readouterr()
    try:
        status = main([str(a) for a in argv])
    except SystemExit as exit_:  # argparse's own errors and --help
        status = exit_.code
    out, err = capsys.readouterr()
    return status, out, err
