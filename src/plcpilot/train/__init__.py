"""Fine-tuning: supervised examples the project generates and verifies itself, and LoRA training
on CPU torch (transformers + peft) whose adapters every in-process backend can load."""
