"""Keras HDF5 files are read by libhdf5 in a forked child with a wall-clock,
CPU and memory limit (src/frontend/keras/h5_isolated.cpp): a reader that
hangs, dies or runs out of memory is one line naming the file, within the
limit, and a good file reads exactly as before."""
import os
import shutil
import subprocess
import time

import pytest

from conftest import CLI, MODELS
from test_cli_errors import assert_one_line_error

JET = MODELS / "jet"


def cli(*args, **env):
    return subprocess.run([str(CLI), *map(str, args)], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **{k: str(v) for k, v in env.items()}})


def test_a_reader_that_blocks_is_killed_at_the_timeout(tmp_path):
    """The weights "file" is a FIFO nobody writes: the child blocks reading it, the parent gives up after 1 s."""
    arch = tmp_path / "KERAS_3layer.json"
    shutil.copyfile(JET / "KERAS_3layer.json", arch)
    fifo = tmp_path / "KERAS_3layer_weights.h5"
    os.mkfifo(fifo)
    t0 = time.monotonic()
    p = cli("inspect", arch, NANOGATE_H5_TIMEOUT=1)
    assert time.monotonic() - t0 < 10
    assert_one_line_error(p, f"{arch}: HDF5 reader failed: timeout after 1 s", "(corrupt or hostile file?)")


def test_a_reader_beyond_the_memory_limit_is_one_line(tmp_path):
    p = cli("inspect", MODELS / "toycar_ad" / "ad01.h5", NANOGATE_H5_MEMORY_MB=1)
    assert_one_line_error(p, f"{MODELS / 'toycar_ad' / 'ad01.h5'}: HDF5 reader failed: ")


@pytest.mark.parametrize("var, value", [("NANOGATE_H5_TIMEOUT", "ten"), ("NANOGATE_H5_MEMORY_MB", "0")])
def test_a_bad_limit_is_one_line(var, value):
    p = cli("inspect", JET / "KERAS_3layer.json", **{var: value})
    assert_one_line_error(p, f"{var}='{value}' is not a positive integer")


def test_the_isolated_reader_reads_what_the_file_holds():
    """Inside the limits the child's Model crosses the pipe intact: same inspect text as an unlimited read."""
    a = cli("inspect", JET / "KERAS_3layer.json")
    b = cli("inspect", JET / "KERAS_3layer.json", NANOGATE_H5_TIMEOUT=100, NANOGATE_H5_MEMORY_MB=4096)
    assert a.returncode == 0 and a.stdout == b.stdout and "Dense" in a.stdout
