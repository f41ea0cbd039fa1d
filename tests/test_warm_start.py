"""A new run that starts from an existing model (`--init-from`): weights, shape, FreezeD, refusals."""

from __future__ import annotations

import pytest
import torch

from tiny_runs import tiny_config
from ganstudio.bundled import bundled_model_path
from ganstudio.checkpoint import load_checkpoint
from ganstudio.cli.main import main

BUNDLED = bundled_model_path()


@pytest.fixture(scope="module")
def source_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("source")
    config = tiny_config(train__steps=6)
    (root / "tiny.json").write_text(config.to_json())
    assert main(["train", "--config", str(root / "tiny.json"), "--out", str(root / "run"), "--quiet"]) == 0
    return root / "run"


def test_a_new_run_starts_from_the_models_weights_with_the_first_d_layer_frozen(source_run, tmp_path, capsys):
    new = tmp_path / "new"
    assert main(["train", "--data", "demo:landscapes:24", "--out", str(new), "--steps", "3", "--batch", "8",
                 "--init-from", str(source_run)]) == 0
    assert "Starting from run 'run' at step 6, the discriminator's first 1 layer(s) frozen." in capsys.readouterr().out
    source = load_checkpoint(source_run / "checkpoints" / "best.pt")
    trained = load_checkpoint(new / "checkpoints" / "latest.pt")
    config = trained["config"]
    assert config["model"] == source["config"]["model"] and config["data"]["resolution"] == 16
    assert config["train"]["init_from"] == "run 'run' at step 6" and config["train"]["freeze_d_layers"] == 1
    first, second = "main.0.weight", "main.2.weight"  # D's input convolution, then the next one
    assert torch.equal(trained["D"][first], source["D"][first])  # frozen: exactly as it started
    assert not torch.equal(trained["D"][second], source["D"][second])  # trained
    # The generator moved on from the source's, not from a random start: still close to it.
    g_new, g_src = trained["G"]["main.0.weight"], source["G"]["main.0.weight"]
    assert (g_new - g_src).abs().mean() < 0.1 * g_src.abs().mean()
    capsys.readouterr()
    assert main(["info", str(new)]) == 0
    assert "Started from:           run 'run' at step 6" in capsys.readouterr().out


def test_the_bundled_generator_only_model_starts_a_run_with_a_fresh_discriminator(tmp_path):
    new = tmp_path / "from-bundled"
    assert main(["train", "--data", "demo:shapes:24", "--out", str(new), "--steps", "1", "--batch", "8",
                 "--init-from", str(BUNDLED), "--quiet"]) == 0
    config = load_checkpoint(new / "checkpoints" / "latest.pt")["config"]
    assert config["data"]["resolution"] == 32 and config["model"]["width"] == 32
    assert config["train"]["freeze_d_layers"] == 0  # a fresh discriminator has nothing worth freezing


@pytest.mark.parametrize("flags, words", [
    (["--resolution", "32"], "draws 16 px images; it can't train at 32 px"),
    (["--colour", "gray"], "draws colour images; it can't learn gray ones"),
])
def test_a_model_that_cannot_match_is_refused_in_plain_words(source_run, tmp_path, capsys, flags, words):
    code = main(["train", "--data", "demo:shapes:24", "--out", str(tmp_path / "x"), "--steps", "1",
                 "--init-from", str(source_run), *flags])
    assert code == 2 and words in capsys.readouterr().err
    assert not (tmp_path / "x" / "checkpoints").exists()
