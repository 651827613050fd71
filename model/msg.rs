//! Messages between clients, the SCM and server processes: activation traffic and ORPC calls on
//! proxies. Every remote call is a request and a reply; a client has at most one call
//! outstanding (its single thread blocks in the proxy), see spec/assumptions.md A-ATOMIC.

use crate::config::Clsid;
use crate::hresult::Hresult;
use serde::Serialize;
use std::fmt;

/// An object's identity inside one server process: a sequence number starting at 1.
pub type ObjId = u8;

/// A message on the (unordered, non-duplicating) network.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Msg {
    /// Client → SCM: `CoGetClassObject(clsid, CLSCTX_LOCAL_SERVER, IID_IClassFactory)`.
    GetClassObject { clsid: Clsid },
    /// SCM → client: the activation's result; on `S_OK` the client unmarshals an IClassFactory
    /// proxy to the class object in server slot `server`.
    ClassObject { hr: Hresult, server: Option<u8> },
    /// SCM → server slot: start the server process (`/Embedding`) for the activation of
    /// client `client`.
    Launch { client: u8 },
    /// SCM → server: marshal the class object of `clsid` for `client`.
    Activate { client: u8, clsid: Clsid },
    /// Server → SCM: the activation's outcome (`S_OK` with a marshaled IClassFactory,
    /// `CO_E_SERVER_STOPPING` when the class is suspended or revoked,
    /// `RPC_S_SERVER_UNAVAILABLE` when the process has exited).
    Activated {
        client: u8,
        clsid: Clsid,
        hr: Hresult,
    },
    /// Server → SCM: these classes are available (a `CoRegisterClassObject` without
    /// REGCLS_SUSPENDED, or `CoResumeClassObjects` for every suspended registration).
    Register { clsids: Vec<Clsid> },
    /// Server → SCM: the process has exited (the SCM waits on the handles of the processes it
    /// launched).
    Exited,
    /// Client → server: `IClassFactory::CreateInstance` on a factory proxy.
    CreateInstance { clsid: Clsid },
    /// Client → server: `IClassFactory::LockServer(lock)` remoted (only when the implicit
    /// LockServer mechanism is off: otherwise the proxy answers locally, R-003-IMPLICIT-LOCK).
    LockServer { clsid: Clsid, lock: bool },
    /// Client → server: a method call on an object proxy.
    Call { obj: ObjId },
    /// Client → service host: a call of a method whose implementation calls
    /// `CoDisconnectContext(INFINITE)` on its own context (seed 000).
    CallSelfDisconnect { obj: ObjId },
    /// Client → server: the final `Release` of an object proxy (RemRelease).
    ReleaseObject { obj: ObjId },
    /// Client → server: the final `Release` of a class-object proxy.
    ReleaseFactory { clsid: Clsid },
    /// Server → client: the reply to an ORPC call; `obj` is the new object of a
    /// `CreateInstance` that succeeded.
    Reply { hr: Hresult, obj: Option<ObjId> },
}

impl fmt::Debug for Msg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Msg::GetClassObject { clsid } => {
                write!(f, "CoGetClassObject({clsid:?}, CLSCTX_LOCAL_SERVER)")
            }
            Msg::ClassObject {
                hr,
                server: Some(s),
            } => {
                write!(
                    f,
                    "{} + IClassFactory proxy → instance {}",
                    hr.name(),
                    s + 1
                )
            }
            Msg::ClassObject { hr, server: None } => write!(f, "{}", hr.name()),
            Msg::Launch { client } => {
                write!(f, "launch server (/Embedding) for client {}", client + 1)
            }
            Msg::Activate { client, clsid } => {
                write!(f, "activate {clsid:?} for client {}", client + 1)
            }
            Msg::Activated { client, clsid, hr } => {
                write!(f, "{} for {clsid:?} (client {})", hr.name(), client + 1)
            }
            Msg::Register { clsids } => write!(f, "register {clsids:?}"),
            Msg::Exited => write!(f, "process exited"),
            Msg::CreateInstance { clsid } => {
                write!(f, "IClassFactory::CreateInstance [{clsid:?}]")
            }
            Msg::LockServer { lock, .. } => {
                write!(
                    f,
                    "IClassFactory::LockServer({})",
                    if *lock { "TRUE" } else { "FALSE" }
                )
            }
            Msg::Call { obj } => write!(f, "call method on object #{obj}"),
            Msg::CallSelfDisconnect { obj } => {
                write!(
                    f,
                    "call method on object #{obj} that calls CoDisconnectContext(INFINITE)"
                )
            }
            Msg::ReleaseObject { obj } => write!(f, "Release object #{obj}"),
            Msg::ReleaseFactory { clsid } => write!(f, "Release IClassFactory [{clsid:?}]"),
            Msg::Reply { hr, obj: Some(o) } => write!(f, "{} (object #{o})", hr.name()),
            Msg::Reply { hr, obj: None } => write!(f, "{}", hr.name()),
        }
    }
}
