"""One chat client for every OpenAI-compatible server (vLLM, llama.cpp, LM Studio, Ollama's /v1).

Providers differ in base URL and auth only; what differs between servers is how they take a
decoding constraint, so each `Dialect` says which constraint kinds it accepts and how to put
them in the request body. Timeouts, retries with exponential backoff on connection errors, 429
and 5xx; a missing server or model is a clear error, not a traceback.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from plcpilot.errors import PlcPilotError, optional_import
from plcpilot.llm.base import Completion, Constraint, Message, OnToken, Sampling, require
from plcpilot.llm.loops import stop_loops


@dataclass(frozen=True)
class Dialect:
    name: str
    accepts: frozenset[str]

    def constrain(self, body: dict, constraint: Constraint) -> None:
        schema = json.loads(constraint.text) if constraint.kind == "json_schema" else None
        if self.name == "vllm":  # guided decoding: Lark grammars and JSON schemas
            key = "guided_grammar" if constraint.kind == "lark" else "guided_json"
            body[key] = constraint.text if schema is None else schema
        elif self.name == "llama.cpp":  # GBNF only; JSON via json_object + schema (json_schema
            # answers HTTP 500 on llama-cpp-python's server)
            if schema is None:
                from plcpilot.llm.gbnf import lark_to_gbnf

                body["grammar"] = lark_to_gbnf(constraint.text)
            else:
                body["response_format"] = {"type": "json_object", "schema": schema}
        else:  # OpenAI's structured outputs (also Ollama's /v1 and LM Studio)
            body["response_format"] = {"type": "json_schema",
                                       "json_schema": {"name": "output", "schema": schema}}


DIALECTS = {d.name: d for d in (
    Dialect("openai", frozenset({"json_schema"})),
    Dialect("vllm", frozenset({"lark", "json_schema"})),
    Dialect("llama.cpp", frozenset({"lark", "json_schema"})),
)}


class Unreachable(PlcPilotError):
    """Nothing answers at the server's address: no dialect or grammar question is worth asking."""


class ChatServer:
    max_concurrency = 64  # servers batch concurrent requests (vLLM, Ollama with parallelism)

    def __init__(self, spec: str, base_url: str, model: str, *, dialect: str | None = None,
                 api_key: str | None = None, timeout: float = 300.0, retries: int = 3):
        httpx = optional_import("httpx", "model servers", "llm")

        self.spec, self.base_url, self.model = spec, base_url.rstrip("/"), model
        self.retries = retries
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.http = httpx.Client(timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
                                 headers=headers)
        self.dialect = DIALECTS[dialect] if dialect else None

    @property
    def accepts(self) -> frozenset[str]:
        return self._dialect().accepts

    def _models(self) -> list[dict]:
        """The server's /models list; empty when it has none. Unreachable propagates: nothing
        else is worth asking then."""
        try:
            data = self._request("GET", "/models").get("data", [])
        except Unreachable:
            raise
        except PlcPilotError:  # a server without /models
            return []
        return [m for m in data if isinstance(m, dict)] if isinstance(data, list) else []

    def _dialect(self) -> Dialect:
        """The server's dialect, asked of /models once when the spec did not name it."""
        if self.dialect is None:
            models = self._models()
            owner = next((m.get("owned_by", "") for m in models if m.get("id") == self.model),
                         models[0].get("owned_by", "") if models else "")
            self.dialect = DIALECTS["vllm" if owner == "vllm" else
                                    "llama.cpp" if owner in ("llamacpp", "me") else "openai"]
        return self.dialect

    def preflight(self) -> None:
        """Ask the server once, so an unreachable one is reported before a command spends time
        on retrieval or anything else."""
        if self.dialect is None:
            self._dialect()
        else:
            self._models()

    def _send(self, method: str, path: str, body: dict | None, read):
        """`read(response)` of the first answer that is neither a connection failure, 429 nor
        5xx, retried with exponential backoff; 4xx answers are clear errors at once."""
        import httpx

        url = self.base_url + path
        delay = 1.0
        unreachable = False
        for attempt in range(self.retries + 1):
            try:
                with self.http.stream(method, url, json=body) as r:
                    if r.status_code < 400:
                        return read(r)
                    r.read()
                    if r.status_code == 404 and path != "/models":
                        raise PlcPilotError(f"{url}: 404 — wrong base URL or unknown model "
                                            f"{self.model!r}: {r.text[:200]}")
                    if r.status_code != 429 and r.status_code < 500:
                        raise PlcPilotError(f"{url}: HTTP {r.status_code}: {r.text[:300]}")
                    problem, unreachable = f"{url}: HTTP {r.status_code}: {r.text[:200]}", False
            except (httpx.ConnectError, httpx.ConnectTimeout) as e:
                problem = (f"cannot reach {self.base_url} ({e.__class__.__name__}); is the "
                           "server running?")
                unreachable = True
            except httpx.TimeoutException:
                problem, unreachable = f"{self.base_url} did not answer in time", False
            except httpx.HTTPError as e:  # the connection broke mid-answer
                problem, unreachable = f"{url}: {e.__class__.__name__}: {e}", False
            if attempt < self.retries:
                time.sleep(delay)
                delay *= 2
        error = Unreachable if unreachable else PlcPilotError
        raise error(f"{problem} (after {self.retries + 1} attempts)")

    def _request(self, method: str, path: str, body: dict | None = None) -> dict:
        def read(r) -> dict:
            r.read()
            try:
                return r.json()
            except ValueError:
                raise PlcPilotError(f"{self.base_url}{path}: the answer is not JSON: "
                                    f"{r.text[:200]!r}") from None
        return self._send(method, path, body, read)

    def complete(self, messages: list[Message], sampling: Sampling = Sampling(),
                 constraint: Constraint | None = None,
                 on_token: OnToken | None = None) -> Completion:
        require(self, constraint)
        body = {"model": self.model, "messages": [{"role": m.role, "content": m.content}
                                                  for m in messages],
                "max_tokens": sampling.max_tokens, "temperature": sampling.temperature,
                "top_p": sampling.top_p, "top_k": sampling.top_k, "stream": False}
        if sampling.seed is not None:
            body["seed"] = sampling.seed
        if constraint is not None:
            self._dialect().constrain(body, constraint)
        started = time.perf_counter()
        if on_token is None:
            out = self._request("POST", "/chat/completions", body)
        else:  # streamed, to report the answer's length as it grows
            body |= {"stream": True, "stream_options": {"include_usage": True}}
            out = self._send("POST", "/chat/completions", body,
                             lambda r: _read_stream(r, on_token, self.spec))
        seconds = time.perf_counter() - started
        try:
            choice, usage = out["choices"][0], out.get("usage") or {}
            text = choice["message"].get("content") or ""
        except (KeyError, IndexError, TypeError):
            raise PlcPilotError(f"{self.spec}: unexpected answer: {str(out)[:300]}") from None
        # a server decodes to its own end; the loop rule only cuts the answer (same outputs as
        # an in-process model, no time saved)
        return stop_loops(Completion(
            text=text, finish_reason=choice.get("finish_reason") or "stop",
            tokens_in=usage.get("prompt_tokens", 0), tokens_out=usage.get("completion_tokens", 0),
            seconds=seconds, constrained=constraint is not None), sampling)


def _read_stream(response, on_token: OnToken, spec: str) -> dict:
    """Server-sent chunks folded into the shape of a non-streamed answer; `on_token` hears the
    count of content chunks (one token each on vLLM, llama.cpp and Ollama) as they arrive."""
    parts: list[str] = []
    finish, usage = None, {}
    for line in response.iter_lines():
        if not line.startswith("data:"):
            continue
        data = line[5:].strip()
        if data == "[DONE]":
            break
        try:
            chunk = json.loads(data)
        except ValueError:
            raise PlcPilotError(f"{spec}: unreadable stream chunk: {data[:200]!r}") from None
        if not isinstance(chunk, dict):
            continue
        if chunk.get("error"):
            raise PlcPilotError(f"{spec}: the server stopped with an error: "
                                f"{str(chunk['error'])[:300]}")
        usage = chunk.get("usage") or usage
        for choice in chunk.get("choices") or []:
            piece = (choice.get("delta") or {}).get("content")
            if piece:
                parts.append(piece)
                on_token(len(parts))
            finish = choice.get("finish_reason") or finish
    return {"choices": [{"message": {"content": "".join(parts)}, "finish_reason": finish}],
            "usage": usage or {"completion_tokens": len(parts)}}


def _options(rest: str) -> tuple[str, dict[str, str]]:
    """`base#model?dialect=vllm` -> (base#model, {"dialect": "vllm"})."""
    head, _, query = rest.partition("?")
    return head, {k: v[-1] for k, v in parse_qs(query).items()}


def openai(rest: str) -> ChatServer:
    """`openai:<base-url>#<model>[?dialect=vllm|llama.cpp|openai&timeout=S&retries=N]`;
    the API key comes from OPENAI_API_KEY."""
    head, opts = _options(rest)
    base, sep, model = head.rpartition("#")
    if not sep or not urlsplit(base).scheme:
        raise PlcPilotError(f"openai:{rest}: write openai:<base-url>#<model>, e.g. "
                            "openai:http://127.0.0.1:8000/v1#qwen2.5-coder")
    if opts.get("dialect") not in (None, *DIALECTS):
        raise PlcPilotError(f"unknown dialect {opts['dialect']!r}; one of {', '.join(DIALECTS)}")
    return ChatServer(f"openai:{rest}", base, model, dialect=opts.get("dialect"),
                      api_key=os.environ.get("OPENAI_API_KEY"),
                      timeout=float(opts.get("timeout", 300)), retries=int(opts.get("retries", 3)))


def ollama(rest: str) -> ChatServer:
    """`ollama:<tag>` on OLLAMA_HOST (default http://127.0.0.1:11434), through its /v1 API."""
    host = os.environ.get("OLLAMA_HOST", "http://127.0.0.1:11434")
    if "://" not in host:
        host = "http://" + host
    return ChatServer(f"ollama:{rest}", host.rstrip("/") + "/v1", rest, dialect="openai")
