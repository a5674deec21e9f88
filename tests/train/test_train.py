"""Fine-tuning from the outside: the agent data builder, a tiny model that learns on CPU (no
download: its tokenizer is trained here), resuming, and the GGUF adapter llama.cpp loads."""

from __future__ import annotations

import json

import pytest

from conftest import cli
from plcpilot.plant.agent import lark_grammar, read_answer
from plcpilot.plant.model import load_plant
from plcpilot.train.agent_data import agent_examples, split_seeds
from plcpilot.train.records import read_examples, write_examples

torch = pytest.importorskip("torch")
pytest.importorskip("peft")
transformers = pytest.importorskip("transformers")

CHATML = ("{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + "
          "message['content'] + '<|im_end|>' + '\n'}}{% endfor %}"
          "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}")


@pytest.fixture(scope="module")
def agent_data():
    return list(agent_examples(load_plant(), split_seeds(1, 1)))


def test_agent_examples_are_split_by_seed(agent_data):
    groups = {split: {e.group for e in agent_data if e.split == split}
              for split in ("train", "validation")}
    assert groups["train"] and groups["validation"]
    assert not groups["train"] & groups["validation"]
    kinds = {e.kind for e in agent_data}
    assert kinds == {"agent-sop", "agent-abnormal"}
    # the answers take task parameters from the log: the random ones show up in commands
    commands = " ".join(read_answer(e.answer)[1] for e in agent_data)
    assert "run_CNC(" in commands and "alert_to_supervisor(" in commands


def test_agent_answers_are_accepted_by_the_station_grammar(agent_data):
    """Every training answer is a string the inference-time grammar allows, character for
    character, as the decoder reads it (a model must be able to say what it is taught)."""
    pytest.importorskip("llguidance")
    import byte_matcher

    plant = load_plant()
    for example in agent_data[::3]:
        station = next(s for s in plant.stations.values()
                       if s.role in example.messages[0].content)
        assert byte_matcher.rejected_at(lark_grammar(station), example.answer) is None, \
            example.answer


def test_a_normal_steps_reason_quotes_the_rule_its_command_follows(agent_data):
    """The reason of an SOP step is its rule's line in the system prompt, and the command is
    that line's command with the placeholders filled: the model can copy rather than recall."""
    normal = [e for e in agent_data if e.kind == "agent-sop"]
    assert normal
    for example in normal:
        reason, command = read_answer(example.answer)
        assert reason.startswith("SOP: when "), reason
        line = next(line for line in example.messages[0].content.splitlines()
                    if line.startswith(f"- {reason[len('SOP: '):]}: "))
        template = line.split(": ", 1)[1]
        assert command.split("(")[0] == template.split("(")[0], (line, command)


def _tiny_base(texts: list[str]):
    """A 2-layer Llama with a byte-level BPE tokenizer trained on `texts`: no hub, no file.
    Its weights are drawn wide: LoRA leaves the output layer and final norm frozen, and at the
    usual 0.02 they would bound every logit near zero, so no adapter could move the loss."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    from plcpilot.train.base import Base

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(texts, trainers.BpeTrainer(
        vocab_size=400, special_tokens=["<|im_start|>", "<|im_end|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tokenizer = transformers.PreTrainedTokenizerFast(
        tokenizer_object=tok, eos_token="<|im_end|>", bos_token="<|im_start|>")
    tokenizer.chat_template = CHATML
    torch.manual_seed(0)
    config = transformers.LlamaConfig(vocab_size=len(tokenizer), hidden_size=32,
                                      intermediate_size=64, num_hidden_layers=2,
                                      num_attention_heads=4, num_key_value_heads=2,
                                      max_position_embeddings=4096,
                                      initializer_range=0.5)  # frozen output layer with room
    return Base("tiny", transformers.LlamaForCausalLM(config), tokenizer, None)


def _short(example):
    """The example with a short system turn and log (a tiny model's test needs no more)."""
    system, user = example.messages
    return example.model_copy(update={"messages": [
        system.model_copy(update={"content": system.content[:400]}),
        user.model_copy(update={"content": user.content[-400:]})]})


def test_a_tiny_model_learns_the_answers_on_cpu(agent_data, tmp_path):
    from plcpilot.train import lora
    from plcpilot.train.presets import preset

    examples = [_short(e) for e in agent_data if e.split == "train"][:6]
    texts = [m.content for e in examples for m in e.messages] + [e.answer for e in examples]
    base = _tiny_base(texts)
    settings = preset("cpu", epochs=8, lr=5e-2, batch=2, rank=32, top_layers=0, bf16=False)
    before = lora.validation_loss(base.model, base, examples, False)
    model = lora.train(base, examples, settings, tmp_path, seed=1, save_every=4)
    after = lora.validation_loss(model, base, examples, False)
    assert after < 0.7 * before, (before, after)
    rows = (tmp_path / lora.LOSSES).read_text().splitlines()[1:]
    assert len(rows) == 24  # 6 examples x 8 epochs / batch 2
    losses = [float(r.split(",")[3]) for r in rows]
    assert sum(losses[-4:]) < sum(losses[:4])
    # a finished run resumes to nothing more: no step is trained or logged twice
    lora.train(_tiny_base(texts), examples, settings, tmp_path, seed=1, save_every=4)
    assert len((tmp_path / lora.LOSSES).read_text().splitlines()[1:]) == 24
    # another run can start from this one's adapter: it starts where this one ended
    more = tmp_path / "more"
    lora.train(_tiny_base(texts), examples, settings.model_copy(update={"epochs": 1}), more,
               seed=2, start_from=tmp_path / lora.CHECKPOINT / lora.ADAPTER)
    first = float((more / lora.LOSSES).read_text().splitlines()[1].split(",")[3])
    assert first < losses[0] / 2


def test_full_fine_tuning_trains_only_the_top_blocks_and_resumes(agent_data, tmp_path):
    from plcpilot.train import lora
    from plcpilot.train.presets import preset

    examples = [_short(e) for e in agent_data if e.split == "train"][:6]
    texts = [m.content for e in examples for m in e.messages] + [e.answer for e in examples]
    base = _tiny_base(texts)
    initial = {n: p.detach().clone() for n, p in base.model.named_parameters()}
    settings = preset("cpu-full", epochs=8, lr=2e-2, batch=2, top_layers=1, bf16=False)
    before = lora.validation_loss(base.model, base, examples, False)
    model = lora.train(base, examples, settings, tmp_path, seed=1, save_every=4, full=True)
    assert lora.validation_loss(model, base, examples, False) < 0.7 * before
    changed = {n for n, p in model.named_parameters() if not torch.equal(p, initial[n])}
    assert changed and all(n.startswith("model.layers.1.") for n in changed)  # the top block
    assert "model.layers.1.input_layernorm.weight" in changed  # norms train too
    # resumed from its checkpoint, a finished run trains nothing more
    again = lora.train(_tiny_base(texts), examples, settings, tmp_path, seed=1, full=True)
    assert len((tmp_path / lora.LOSSES).read_text().splitlines()[1:]) == 24
    assert all(torch.equal(p, dict(model.named_parameters())[n])
               for n, p in again.named_parameters())


def test_the_shared_system_turn_gives_the_same_loss(agent_data):
    from plcpilot.train import lora

    examples = [e for e in agent_data if e.split == "train"][:3]
    base = _tiny_base([m.content for e in examples for m in e.messages])
    prefixes = lora.SharedPrefixes()
    with torch.no_grad():
        for example in examples:
            x = lora.encode(base.tokenizer, example)
            assert 0 < x.shared < x.prompt < len(x.ids)
            full = lora.answer_loss(base.model, x, False).item()
            shared = lora.answer_loss(base.model, x, False, prefixes).item()
            assert shared == pytest.approx(full, rel=1e-4)


def test_train_cli_refuses_bad_data_clearly(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x"}\n')
    r = cli("train", "lora", "--data", bad, "--out", tmp_path / "run")
    assert r.returncode == 2
    assert b"bad.jsonl:1: not a training example" in r.stderr
    assert b"Traceback" not in r.stderr
    bad.write_bytes(b"\x00\xff{{{\n")
    r = cli("train", "lora", "--data", bad, "--out", tmp_path / "run")
    assert r.returncode == 2 and b"not UTF-8" in r.stderr and b"Traceback" not in r.stderr
    good = tmp_path / "good.jsonl"
    write_examples(list(agent_examples(load_plant(), split_seeds(1, 0)))[:1], good)
    r = cli("train", "lora", "--data", good, "--out", bad)
    assert r.returncode == 2 and b"is a file" in r.stderr and b"Traceback" not in r.stderr


def test_agent_data_cli_widens_the_wording_but_never_uses_the_held_out_half(tmp_path):
    data = tmp_path / "agent.jsonl"
    r = cli("train", "data", "agent", "--out", data, "--train-seeds", "1",
            "--validation-seeds", "0", "--wording", "held_out")
    assert r.returncode == 2 and b"evaluation only" in r.stderr and not data.exists()
    r = cli("train", "data", "agent", "--out", data, "--train-seeds", "1",
            "--validation-seeds", "0", "--wording", "train")
    assert r.returncode == 0, r.stderr
    widened = read_examples(data)
    dev = list(agent_examples(load_plant(), split_seeds(1, 0)))
    assert [e.answer for e in widened] == [e.answer for e in dev]  # same points, other words
    assert sum(w.messages[1].content != d.messages[1].content
               for w, d in zip(widened, dev, strict=True)) > len(dev) // 2


def test_data_files_round_trip_and_keep_their_splits(agent_data, tmp_path):
    path = tmp_path / "agent.jsonl"
    assert write_examples(agent_data, path) == len(agent_data)
    assert read_examples(path) == agent_data
    assert {e.split for e in read_examples(path, "validation")} == {"validation"}
    assert json.loads(path.read_text().splitlines()[0])["messages"][0]["role"] == "system"


def test_embedded_lora_spec_without_an_adapter_is_a_clear_error(tmp_path):
    r = cli("agent", "decide", "--log", "-", "--mode", "llm", "--model",
            f"embedded+lora:{tmp_path}", input="[CNC Station][08:00:00] hello\n")
    assert r.returncode == 2
    assert b"no adapter.gguf" in r.stderr


PROMPT = ("<|im_start|>user\nWrite an FX program: a start button X0 latches the motor Y0, a "
          "stop button X1 releases it, and the overload contact X2 stops it at once.<|im_end|>\n"
          "<|im_start|>assistant\n")


@pytest.fixture(scope="module")
def random_adapter(tmp_path_factory):
    """(base, peft model, run folder with adapter.gguf): the embedded model with a random
    adapter, large enough to change 55 % of next-token choices."""
    pytest.importorskip("gguf")
    from plcpilot.train import lora
    from plcpilot.train.base import load_base
    from plcpilot.train.gguf_adapter import write_adapter_gguf
    from plcpilot.train.presets import preset

    base = load_base("embedded")
    model = lora.attach_lora(base.model, preset("cpu", top_layers=0))
    torch.manual_seed(0)
    for name, p in model.named_parameters():
        if "lora_B" in name:  # a trained adapter's B is non-zero; make this one matter
            torch.nn.init.normal_(p, std=0.1)
    folder = tmp_path_factory.mktemp("run")
    assert write_adapter_gguf(model, folder / "adapter.gguf") == 7 * 30
    return base, model, folder


def _llama_cpp_scores(path, ids, lora=None):
    llama_cpp = pytest.importorskip("llama_cpp")
    np = pytest.importorskip("numpy")
    llm = llama_cpp.Llama(model_path=str(path), n_ctx=256, logits_all=True, verbose=False,
                          lora_path=str(lora) if lora else None)
    llm.eval(ids)
    return np.array(llm.scores[: len(ids)])


def test_the_gguf_adapter_gives_llama_cpp_the_logits_peft_gives(random_adapter):
    """The exported adapter on the embedded GGUF in llama.cpp predicts what the peft model
    predicts in transformers; without llama.cpp's q/k row order it would not (measured: 64 %
    of next tokens agree, logit correlation 0.91)."""
    np = pytest.importorskip("numpy")
    from plcpilot.llm.models import model_path

    base, model, folder = random_adapter
    ids = base.tokenizer(PROMPT, add_special_tokens=False)["input_ids"]
    with torch.no_grad():
        ours = model(input_ids=torch.tensor([ids])).logits[0].numpy()
        with model.disable_adapter():
            plain = model(input_ids=torch.tensor([ids])).logits[0].numpy()
    theirs = _llama_cpp_scores(model_path(), ids, folder / "adapter.gguf")
    # llama.cpp runs the quantised base with 8-bit activations: close, not bit-equal
    assert (theirs.argmax(-1) == ours.argmax(-1)).mean() >= 0.85
    assert np.corrcoef(theirs.ravel(), ours.ravel())[0, 1] > 0.99
    assert (plain.argmax(-1) == ours.argmax(-1)).mean() < 0.8  # the adapter does change them


def test_a_merged_gguf_predicts_what_base_and_adapter_predict(random_adapter, tmp_path):
    np = pytest.importorskip("numpy")
    from plcpilot.llm.models import model_path

    base, _, folder = random_adapter
    merged = tmp_path / "merged.gguf"
    r = cli("train", "merge", folder, "--out", merged, timeout=600)
    assert r.returncode == 0, r.stderr.decode()[-2000:]
    assert b"210 tensors merged" in r.stdout
    ids = base.tokenizer(PROMPT, add_special_tokens=False)["input_ids"]
    adapted = _llama_cpp_scores(model_path(), ids, folder / "adapter.gguf")
    ours = _llama_cpp_scores(merged, ids)
    plain = _llama_cpp_scores(model_path(), ids)
    assert (ours.argmax(-1) == adapted.argmax(-1)).mean() >= 0.9
    assert np.corrcoef(ours.ravel(), adapted.ravel())[0, 1] > 0.99
    assert (ours.argmax(-1) == plain.argmax(-1)).mean() < 0.8


def test_merge_refuses_a_missing_or_broken_adapter_clearly(tmp_path):
    r = cli("train", "merge", tmp_path, "--out", tmp_path / "x.gguf")
    assert r.returncode == 2 and b"no adapter.gguf" in r.stderr and b"Traceback" not in r.stderr
    (tmp_path / "adapter.gguf").write_bytes(b"GGUF" + bytes(range(256)) * 4)
    r = cli("train", "merge", tmp_path, "--out", tmp_path / "x.gguf")
    assert r.returncode == 2 and b"not a readable GGUF file" in r.stderr
    assert b"Traceback" not in r.stderr and not (tmp_path / "x.gguf").exists()


def test_full_fine_tuning_merged_into_the_gguf_predicts_what_transformers_predicts(tmp_path):
    """The deltas of the top blocks (projections and norms), in llama.cpp's layout, merged into
    the embedded GGUF: llama.cpp then predicts what the changed model predicts in
    transformers. The weights are perturbed, not trained: a few steps would change too little
    to tell a wrong layout from a right one."""
    np = pytest.importorskip("numpy")
    pytest.importorskip("gguf")
    from plcpilot.llm.models import model_path
    from plcpilot.train import lora
    from plcpilot.train.base import load_base
    from plcpilot.train.gguf_adapter import weight_deltas
    from plcpilot.train.gguf_merge import merge_deltas
    from plcpilot.train.presets import preset

    base = load_base("embedded")
    model = lora.unfreeze_top(base.model, preset("cpu-full", top_layers=4))
    initial = {n: p.detach().clone() for n, p in lora.trained_weights(model).items()}
    torch.manual_seed(0)
    with torch.no_grad():  # noise of 0.2 of each tensor's spread: a quarter of the choices move
        for name, p in model.named_parameters():
            if p.requires_grad:
                p.add_(torch.randn_like(p) * 0.2 * initial[name].std())
    deltas = weight_deltas(lora.trained_weights(model), initial, model.config)
    assert len(deltas) == 4 * 9  # 7 projections and 2 norms per block
    assert merge_deltas(model_path(), deltas, tmp_path / "model.gguf") == 36
    ids = base.tokenizer(PROMPT, add_special_tokens=False)["input_ids"]
    with torch.no_grad():
        ours = model(input_ids=torch.tensor([ids])).logits[0].numpy()
    theirs = _llama_cpp_scores(tmp_path / "model.gguf", ids)
    plain = _llama_cpp_scores(model_path(), ids)
    # measured: 93 % agree, as for the unchanged model (quantised base, 8-bit activations)
    assert (theirs.argmax(-1) == ours.argmax(-1)).mean() >= 0.85
    assert np.corrcoef(theirs.ravel(), ours.ravel())[0, 1] > 0.99
    assert (plain.argmax(-1) == ours.argmax(-1)).mean() < 0.8  # the change does matter


def test_an_adapter_of_another_base_is_refused_by_name(tmp_path):
    (tmp_path / "adapter.gguf").write_bytes(b"GGUF")
    (tmp_path / "config.json").write_text('{"base": "/models/other-llama"}')
    r = cli("agent", "decide", "--log", "-", "--mode", "llm", "--model",
            f"embedded+lora:{tmp_path}", input="[CNC Station][08:00:00] hello\n")
    assert r.returncode == 2
    assert b"trained on '/models/other-llama'" in r.stderr


def test_train_full_on_the_embedded_model_writes_a_gguf_llama_cpp_loads(agent_data, tmp_path):
    """From the outside, one example, one block: the run ends with the merged model.gguf."""
    llama_cpp = pytest.importorskip("llama_cpp")
    data = tmp_path / "one.jsonl"
    write_examples([e for e in agent_data if e.split == "train"][:1], data)
    r = cli("train", "full", "--data", data, "--out", tmp_path / "run", "--batch", "1",
            "--top-layers", "1", "--validation", "0", timeout=600)
    assert r.returncode == 0, r.stderr.decode()[-2000:]
    summary = json.loads((tmp_path / "run" / "train.json").read_text())
    assert summary["method"] == "full" and summary["adapted_matrices"] == 9  # 7 + 2 norms
    llm = llama_cpp.Llama(model_path=str(tmp_path / "run" / "model.gguf"), n_ctx=64,
                          verbose=False)
    assert llm.create_completion("PLC", max_tokens=2)["usage"]["completion_tokens"] >= 1
