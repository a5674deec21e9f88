"""What secures the plant's OPC UA server and client (docs/opcua-security.md), apart from `opcua`
so that it can be read and reviewed on its own.

With a certificate folder the plant server offers Basic256Sha256 Sign and SignAndEncrypt only,
under its own ApplicationUri and a self-signed certificate (`ensure_certificate`: made on first
use, the key mode 0600, the certificate made anew when it expires, names another URI or no longer
matches the key). Every session may browse, read and subscribe; logged-in users (scrypt-hashed
passwords in a user file, `add_user`) may call methods, anonymous sessions only when
`ServerSecurity.anonymous_control` opts in; nobody may write a variable or add or delete nodes:
the plant's variables are written by the server alone, so no client can forge the PendingEvent or
EventLog an operator acts on. asyncua's default user manager (any password makes `admin` an
administrator) is replaced (`Logins`), and so is its acceptance of a SecurityPolicy None channel
on a server that offers no None endpoint (`UaServer`). `ClientSecurity` is how an operator
connects: the security mode, its own certificate, a pinned server certificate and a login;
passwords never come from the command line.
"""

from __future__ import annotations

import getpass
import hashlib
import hmac
import ipaddress
import logging
import os
import re
import socket
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal, TextIO

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from plcpilot.errors import PlcPilotError, first_problem, optional_import

optional_import("asyncua", "the plant over OPC UA", "plant")  # a clear error, not a traceback
from asyncua import Server, ua  # noqa: E402
from asyncua.crypto import cert_gen  # noqa: E402
from asyncua.crypto.permission_rules import PermissionRuleset, User, UserRole  # noqa: E402
from asyncua.crypto.security_policies import SecurityPolicyFactory, SecurityPolicyNone  # noqa: E402
from cryptography import x509  # noqa: E402  (asyncua's own dependency)
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.x509.oid import ExtendedKeyUsageOID  # noqa: E402

MANUFACTURER = "plcpilot project"  # who we are on the wire and in our certificates
HOME_ENV = "PLCPILOT_OPCUA_HOME"
PASSWORD_ENV = "PLCPILOT_OPCUA_PASSWORD"
KEY_FILE, CERT_FILE, USERS_FILE = "key.pem", "cert.der", "users.json"
CERT_DAYS = 730
USERS_FORMAT = "plcpilot-opcua-users/1"
SCRYPT = {"n": 2**14, "r": 8, "p": 1}  # ~16 MB and some 50 ms per guess
MIN_PASSWORD = 8
USER_NAME = re.compile(r"[A-Za-z0-9_.@-]{1,64}")
MODES = {"none": ua.MessageSecurityMode.None_, "sign": ua.MessageSecurityMode.Sign,
         "sign-encrypt": ua.MessageSecurityMode.SignAndEncrypt}

_log = logging.getLogger(__name__)


# ====================================================================== where
def opcua_home() -> Path:
    """Where certificates and the user file live unless a command names them:
    $PLCPILOT_OPCUA_HOME, else plcpilot/opcua in the user's data folder ($XDG_DATA_HOME or
    ~/.local/share), so they outlive a clone and are never committed with it."""
    if root := os.environ.get(HOME_ENV):
        return Path(root).expanduser()
    data = os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share")
    return Path(data) / "plcpilot" / "opcua"


def is_loopback(host: str) -> bool:
    """Whether only this machine can reach `host` (0.0.0.0 and any name but localhost: no)."""
    if host.casefold() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def reason(e: BaseException) -> str:
    return f"{type(e).__name__}: {e}" if str(e) else type(e).__name__


# ====================================================================== certificates
@dataclass(frozen=True)
class Certificate:
    """An application instance certificate and its private key, as files."""

    cert: Path
    key: Path
    fingerprint: str  # SHA-256 of the certificate, to compare out of band with what a peer shows
    made: Literal["created", "renewed", "reused"]


def ensure_certificate(folder: Path, uri: str, *, server: bool) -> Certificate:
    """The key and self-signed certificate in `folder` for application `uri`: made on first use
    (key file mode 0600), reused afterwards, and the certificate (never the key) made anew when it
    has expired, names another URI or no longer matches the key."""
    folder = Path(folder).expanduser()
    key_path, cert_path = folder / KEY_FILE, folder / CERT_FILE
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        if key_path.exists():
            _check_private(key_path)
            key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
            made = "reused"
        else:
            key = cert_gen.generate_private_key()
            _write_private(key_path, cert_gen.dump_private_key_as_pem(key))
            made = "created"
        cert = _read_certificate(cert_path)
        if cert is None or not _fits(cert, key, uri):
            cert = _self_signed(key, uri, server)
            cert_path.write_bytes(cert.public_bytes(serialization.Encoding.DER))
            made = "renewed" if made == "reused" else made
    except (OSError, ValueError, TypeError) as e:
        raise PlcPilotError(f"cannot use the OPC UA key and certificate in {folder}: "
                            f"{reason(e)}; fix the folder, or delete {KEY_FILE} and {CERT_FILE} "
                            "there to make new ones") from None
    return Certificate(cert_path, key_path, fingerprint(cert), made)


def fingerprint(cert: x509.Certificate) -> str:
    return ":".join(f"{b:02X}" for b in cert.fingerprint(hashes.SHA256()))


def _read_certificate(path: Path) -> x509.Certificate | None:
    """The certificate in `path`; None when there is none or it is unreadable (made anew)."""
    try:
        return x509.load_der_x509_certificate(path.read_bytes())
    except FileNotFoundError:
        return None
    except ValueError:
        _log.warning("%s is not a DER certificate; making a new one", path)
        return None


def _fits(cert: x509.Certificate, key: Any, uri: str) -> bool:
    try:
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return False
    return (uri in names.get_values_for_type(x509.UniformResourceIdentifier)
            and cert.not_valid_after_utc > datetime.now(UTC) + timedelta(days=1)
            and cert.public_key().public_numbers() == key.public_key().public_numbers())


def _self_signed(key: Any, uri: str, server: bool) -> x509.Certificate:
    hosts = dict.fromkeys([socket.gethostname(), "localhost"])
    names = [x509.UniformResourceIdentifier(uri), *(x509.DNSName(h) for h in hosts)]
    usage = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
    return cert_gen.generate_self_signed_app_certificate(
        key, f"plcpilot {'plant' if server else 'operator'}",
        {"organizationName": MANUFACTURER}, names, [usage], days=CERT_DAYS)


def _write_private(path: Path, data: bytes) -> None:
    """Write a secret (a key, password hashes) readable by its owner only, replacing the file at
    once so a crash never leaves half of it."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mode 0600
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _check_private(path: Path) -> None:
    """Refuse a secret that other users can read, as ssh does: it may have leaked already."""
    mode = path.stat().st_mode & 0o777
    if os.name == "posix" and mode & 0o077:
        raise PlcPilotError(f"{path} can be read by other users (mode {mode:o}): run "
                            f"`chmod 600 {path}`, and make a new one if others may have read it")


# ====================================================================== users
class _Login(BaseModel):
    """One user's scrypt password hash (bounded, so a crafted file cannot exhaust memory)."""

    model_config = ConfigDict(extra="forbid")
    kdf: Literal["scrypt"]
    n: int = Field(ge=2**10, le=2**17)
    r: int = Field(ge=1, le=16)
    p: int = Field(ge=1, le=4)
    salt: str = Field(pattern=r"^[0-9a-f]{32,128}$")
    hash: str = Field(pattern=r"^[0-9a-f]{32,128}$")


class _UserFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    format: Literal["plcpilot-opcua-users/1"]
    users: dict[str, _Login]


def hash_password(password: str) -> _Login:
    """A scrypt hash of `password` with its own random salt: equal passwords never look equal."""
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **SCRYPT)
    return _Login(kdf="scrypt", **SCRYPT, salt=salt.hex(), hash=digest.hex())


def verify_password(login: _Login, password: str) -> bool:
    expected = bytes.fromhex(login.hash)
    digest = hashlib.scrypt(password.encode(), salt=bytes.fromhex(login.salt), n=login.n,
                            r=login.r, p=login.p, dklen=len(expected), maxmem=2**29)
    return hmac.compare_digest(digest, expected)


def default_users_file() -> Path:
    return opcua_home() / USERS_FILE


def read_users(path: Path) -> dict[str, _Login]:
    """The users of a user file; none when it does not exist yet."""
    try:
        _check_private(path)
        return _UserFile.model_validate_json(path.read_bytes()).users
    except FileNotFoundError:
        return {}
    except OSError as e:
        raise PlcPilotError(f"cannot read the user file {path}: {reason(e)}") from None
    except ValidationError as e:
        raise PlcPilotError(f"{path} is not a plcpilot user file ({first_problem(e)}); make it "
                            "with `plcpilot agent serve-user add`") from None


def add_user(path: Path, name: str, password: str) -> bool:
    """Add a user, or give one a new password (True); the file is made, mode 0600, on first use."""
    if not USER_NAME.fullmatch(name):
        raise PlcPilotError(f"user name {name!r}: use 1 to 64 letters, digits or _ . @ -")
    if len(password) < MIN_PASSWORD:
        raise PlcPilotError(f"the password must have at least {MIN_PASSWORD} characters")
    users = read_users(path)
    replaced = name in users
    users[name] = hash_password(password)
    _write_users(path, users)
    return replaced


def remove_user(path: Path, name: str) -> None:
    users = read_users(path)
    if name not in users:
        raise PlcPilotError(f"{path} has no user {name!r}; it has: {', '.join(users) or 'none'}")
    del users[name]
    _write_users(path, users)


def _write_users(path: Path, users: dict[str, _Login]) -> None:
    text = _UserFile(format=USERS_FORMAT, users=users).model_dump_json(indent=1) + "\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        _write_private(path, text.encode())
    except OSError as e:
        raise PlcPilotError(f"cannot write the user file {path}: {reason(e)}") from None


def read_new_password(stdin: TextIO | None = None) -> str:
    """A new password: typed twice at a prompt on a terminal, else one line of standard input
    (a pipe or a file); never a command-line argument, which other users' `ps` can see."""
    stdin = stdin or sys.stdin
    if stdin.isatty():
        password = getpass.getpass("new password: ")
        if getpass.getpass("again: ") != password:
            raise PlcPilotError("the two passwords differ; nothing changed")
        return password
    return stdin.readline().rstrip("\r\n")


def read_password(file: Path | None = None) -> str:
    """The password to log in with: the first line of `file`, else $PLCPILOT_OPCUA_PASSWORD,
    else a prompt on a terminal; never a command-line argument."""
    if file is not None:
        try:
            return Path(file).read_text(encoding="utf-8").splitlines()[0]
        except (OSError, UnicodeDecodeError, IndexError) as e:
            raise PlcPilotError(f"cannot read a password from {file}: {reason(e)}") from None
    if (password := os.environ.get(PASSWORD_ENV)) is not None:
        return password
    if sys.stdin.isatty():
        return getpass.getpass("OPC UA password: ")
    raise PlcPilotError(f"no password: set {PASSWORD_ENV} or pass --opcua-password-file FILE")


# ====================================================================== access
def _services(*names: str) -> frozenset[ua.NodeId]:
    return frozenset(ua.NodeId(getattr(ua.ObjectIds, f"{n}Request_Encoding_DefaultBinary"))
                     for n in names)


# what every session may do: look, and be told (asyncua lets session set-up and discovery through
# before it asks these rules)
LOOK = _services("Read", "Browse", "BrowseNext", "TranslateBrowsePathsToNodeIds", "RegisterNodes",
                 "UnregisterNodes", "CreateSubscription", "ModifySubscription",
                 "DeleteSubscriptions", "CreateMonitoredItems", "ModifyMonitoredItems",
                 "DeleteMonitoredItems", "SetMonitoringMode", "SetPublishingMode", "Publish",
                 "Republish", "CloseSession")
CALL = _services("Call")


class AccessRules(PermissionRuleset):
    """Which services a session may use. Everyone may browse, read and subscribe; logged-in
    users may call methods, anonymous sessions only with `anonymous_control`; nobody may write,
    add or delete nodes or references, or update history: the plant's variables are written by
    the server alone (a forged PendingEvent would be acted on by the operator)."""

    def __init__(self, anonymous_control: bool):
        self.anonymous_control = anonymous_control

    def check_validity(self, user: User | None, action_type_id: ua.NodeId, body: Any) -> bool:
        if action_type_id in LOOK:
            return True
        if action_type_id in CALL and (self.anonymous_control or (
                user is not None and user.role == UserRole.User)):
            return True
        service = ua.object_ids.ObjectIdNames.get(action_type_id.Identifier, action_type_id)
        who = f"user {user.name!r}" if user is not None and user.name else "an anonymous session"
        _log.warning("refused %s to %s", str(service).split("Request_")[0], who)
        return False


class _NoService(PermissionRuleset):
    """The rules of a SecurityPolicy None channel on a server that offers no None endpoint."""

    def check_validity(self, user: User | None, action_type_id: ua.NodeId, body: Any) -> bool:
        return False


class Logins:
    """asyncua's user manager, replaced: its default makes `admin` with any password an
    administrator. Here a name and password must match the user file; anonymous sessions are
    anonymous; nobody is ever an administrator. A refused login is logged (name only).
    `certificate` is the channel's client certificate, whatever the login: it proves no identity
    here (the server offers no certificate logins), so it is not looked at."""

    def __init__(self, users: dict[str, _Login]):
        self.users = users
        self._decoy = hash_password(os.urandom(16).hex())  # unknown names take as long

    def get_user(self, iserver: Any, username: str | None = None, password: str | None = None,
                 certificate: Any = None) -> User | None:
        if username is None:
            return User(role=UserRole.Anonymous)
        login = self.users.get(username)
        if verify_password(login or self._decoy, str(password or "")) and login is not None:
            return User(role=UserRole.User, name=username)
        _log.warning("refused the OPC UA login of %r", username)
        return None


class UaServer(Server):
    """asyncua's Server with a hole closed. A client may open a SecurityPolicy None channel even
    when the server offers no None endpoint: asyncua keeps the connection's initial None policy,
    which carries no permission rules, so a crafted client could create a session over it and
    read, write and call anything. Such a channel gets rules here that refuse every service past
    discovery and session set-up. (Overrides a private asyncua method; a test attacks the hole.)"""

    async def _setup_server_nodes(self) -> None:
        await super()._setup_server_nodes()
        if not any(f.cls is SecurityPolicyNone for f in self._policies):
            self._policies.append(SecurityPolicyFactory(
                SecurityPolicyNone, ua.MessageSecurityMode.None_, permission_ruleset=_NoService()))


@dataclass(frozen=True)
class ServerSecurity:
    """How a plant server protects itself (docs/opcua-security.md).

    `cert_dir`: where its key and self-signed certificate live (made on first use); with one it
    offers Basic256Sha256 Sign and SignAndEncrypt and nothing unprotected, without one
    SecurityPolicy None only. `users`: the user file logins are checked against (`plcpilot agent
    serve-user add`); without one nobody can log in. `anonymous_control`: anonymous sessions may
    call methods (run commands, reset) too.
    """

    cert_dir: Path | None = None
    users: Path | None = None
    anonymous_control: bool = False

    def warnings(self, host: str) -> list[str]:
        """What a person starting this server should know before anyone connects."""
        found = []
        if not is_loopback(host) and self.cert_dir is None:
            found.append(f"serving on {host} without security: anyone on the network can read "
                         "the plant, and logins and commands travel unencrypted")
        if not is_loopback(host) and self.anonymous_control:
            found.append(f"serving on {host} with anonymous control: anyone who reaches this "
                         "port can run commands on the plant")
        if self.users is not None and not self.anonymous_control and not read_users(self.users):
            found.append(f"no users in {self.users}: clients can only browse and read; add one "
                         f"with `plcpilot agent serve-user add --file {self.users} NAME`")
        return found


@dataclass(frozen=True)
class ClientSecurity:
    """How an operator connects: `mode` none, sign or sign-encrypt (Basic256Sha256) with a client
    certificate from `cert_dir` (made on first use; default: opcua_home()/client); `server_cert`
    pins the server's certificate (else the one the server presents is taken); `user` and
    `password` log in (else the session is anonymous)."""

    mode: str = "none"
    cert_dir: Path | None = None
    server_cert: Path | None = None
    user: str | None = None
    password: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise PlcPilotError(f"unknown OPC UA security mode {self.mode!r}; choose "
                                + ", ".join(MODES))
        if self.server_cert is not None and self.mode == "none":
            raise PlcPilotError("a pinned server certificate needs security sign or sign-encrypt")
