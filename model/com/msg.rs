//! Messages between clients, the SCM and server processes: activation traffic and ORPC calls on
//! proxies. Every remote call is a request and a reply; a client has at most one call
//! outstanding (its single thread blocks in the proxy), see spec/assumptions.md A-ATOMIC.

use crate::com::config::Clsid;
use crate::com::hresult::Hresult;
use serde::Serialize;
use std::fmt;

/// The messages an actor sends in reaction to one input or step: destination and message. Two
/// inline (a step sends at most a few), so that a step allocates nothing for what it sends.
pub type Sends = smallvec::SmallVec<[(stateright::actor::Id, Msg); 2]>;

/// An object's identity inside one server process: a sequence number starting at 1.
pub type ObjId = u8;

/// What a client asks the SCM for (seed 003; Microsoft's pages for CoGetClassObject and
/// CoCreateInstance).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum ActKind {
    /// `CoGetClassObject(CLSCTX_LOCAL_SERVER)`: the server marshals IClassFactory (with COM's
    /// implicit LockServer(TRUE), R-003-IMPLICIT-LOCK) and the client gets a class-object proxy.
    ClassObject,
    /// `CoCreateInstance(CLSCTX_LOCAL_SERVER)`: one round trip to the SCM; COM in the server
    /// calls IClassFactory::CreateInstance itself and marshals the new object, so the client
    /// never holds a class-object proxy (spec/assumptions.md A-ATOMIC, activation).
    Instance,
}

/// A message on the (unordered, non-duplicating) network. Client indices and server slots are
/// 0-based (`client: 0` is client 1); object ids are per server process, from 1.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Msg {
    /// Client → SCM: an activation request for `clsid`.
    Activation {
        /// The class requested.
        clsid: Clsid,
        /// CoGetClassObject (class object) or CoCreateInstance (instance).
        kind: ActKind,
    },
    /// SCM → client: the activation's result; on `S_OK` the client unmarshals a proxy to
    /// server slot `server`: the class object (`obj` is `None`) or object `obj`.
    ActivationResult {
        /// The HRESULT the client's CoGetClassObject or CoCreateInstance returns.
        hr: Hresult,
        /// The slot of the instance that served it; `None` when it failed.
        server: Option<u8>,
        /// The object created by CoCreateInstance; `None` for a class object or a failure.
        obj: Option<ObjId>,
    },
    /// SCM → server slot: start the server process (`/Embedding`) for the activation of
    /// client `client`.
    Launch {
        /// The client whose activation made the SCM launch the instance (0-based).
        client: u8,
    },
    /// SCM → server (or client → service host): activate `clsid` for `client`.
    Activate {
        /// The client the activation is for (0-based).
        client: u8,
        /// The class.
        clsid: Clsid,
        /// Class object or instance.
        kind: ActKind,
    },
    /// Server → SCM: the activation's outcome (`S_OK` with a marshaled class object or object
    /// `obj`, `CO_E_SERVER_STOPPING` when the class is suspended or revoked,
    /// `RPC_S_SERVER_UNAVAILABLE` when the process has exited, `E_ACCESSDENIED` when COM's
    /// security check refused the client, KB 170915).
    Activated {
        /// The client the activation is for (0-based).
        client: u8,
        /// The class.
        clsid: Clsid,
        /// Class object or instance.
        kind: ActKind,
        /// The outcome.
        hr: Hresult,
        /// The object created for an instance activation that succeeded.
        obj: Option<ObjId>,
    },
    /// Server apartment `apartment` → SCM: these classes are available
    /// (`CoRegisterClassObject` without REGCLS_SUSPENDED, or `CoResumeClassObjects` for every
    /// suspended registration). Synchronous: the thread waits for [`Msg::ScmDone`].
    Register {
        /// The apartment (0-based) whose thread waits for the answer.
        apartment: u8,
        /// The classes registered.
        clsids: Vec<Clsid>,
    },
    /// Server apartment `apartment` → SCM: `CoRevokeClassObject` of classes the SCM knows
    /// (Wine informs the SCM; Microsoft's page: the class object is no longer available).
    /// Synchronous: the thread waits for [`Msg::ScmDone`].
    Revoke {
        /// The apartment (0-based) whose thread waits for the answer.
        apartment: u8,
        /// The classes revoked.
        clsids: Vec<Clsid>,
    },
    /// SCM → server apartment `apartment`: the registration or revocation is recorded; the
    /// thread's call returns.
    ScmDone {
        /// The apartment (0-based) whose call returns.
        apartment: u8,
    },
    /// Server → SCM: the process has exited (the SCM waits on the handles of the processes it
    /// launched).
    Exited,
    /// Client → server: `IClassFactory::CreateInstance` on a factory proxy.
    CreateInstance {
        /// The class of the factory.
        clsid: Clsid,
    },
    /// Client → server: `IClassFactory::LockServer(lock)` remoted (only when the implicit
    /// LockServer mechanism is off: otherwise the proxy answers locally, R-003-IMPLICIT-LOCK).
    LockServer {
        /// The class of the factory.
        clsid: Clsid,
        /// TRUE (lock) or FALSE (unlock).
        lock: bool,
    },
    /// Client → server: a method call on an object proxy.
    Call {
        /// The object called.
        obj: ObjId,
    },
    /// Client → service host: a call of a method whose implementation calls
    /// `CoDisconnectContext(INFINITE)` on its own context (seed 000).
    CallSelfDisconnect {
        /// The object called.
        obj: ObjId,
    },
    /// Client → server: the final `Release` of an object proxy (RemRelease). Its result is not
    /// observable: IUnknown::Release returns a ULONG.
    ReleaseObject {
        /// The object released.
        obj: ObjId,
    },
    /// Client → server: the final `Release` of a class-object proxy (not observable either).
    ReleaseFactory {
        /// The class of the factory.
        clsid: Clsid,
    },
    /// Server → client: the reply to an ORPC call; `obj` is the new object of a
    /// `CreateInstance` (or service activation) that succeeded.
    Reply {
        /// The call's HRESULT.
        hr: Hresult,
        /// The object created, for a CreateInstance or service activation that succeeded.
        obj: Option<ObjId>,
    },
}

/// A message as a noun phrase in COM terms (clients, instances and apartments numbered from 1),
/// so that "receives …" and "sends … to …" read as sentences: "client 2's CoCreateInstance of
/// CLSID_B", "a method call on object 1", "S_OK with a proxy to object 1 in server instance 1".
impl fmt::Debug for Msg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use crate::com::names::{act_api, activation_name};
        let list = |clsids: &[Clsid]| {
            let names: Vec<String> = clsids.iter().map(|c| format!("{c:?}")).collect();
            crate::com::names::and_list(&names)
        };
        match self {
            Msg::Activation { clsid, kind } => {
                write!(f, "{}({clsid:?}, CLSCTX_LOCAL_SERVER)", act_api(*kind))
            }
            Msg::ActivationResult {
                hr,
                server: Some(s),
                obj,
            } => match obj {
                Some(o) => write!(
                    f,
                    "{} with a proxy to object {o} in server instance {}",
                    hr.name(),
                    s + 1
                ),
                None => write!(
                    f,
                    "{} with an IClassFactory proxy to server instance {}",
                    hr.name(),
                    s + 1
                ),
            },
            Msg::ActivationResult { hr, .. } => write!(f, "{}", hr.name()),
            Msg::Launch { client } => {
                write!(
                    f,
                    "a launch (/Embedding) for client {}'s activation",
                    client + 1
                )
            }
            Msg::Activate {
                client,
                clsid,
                kind,
            } => write!(f, "{}", activation_name(*client, *clsid, *kind)),
            Msg::Activated {
                client,
                clsid,
                kind,
                hr,
                obj,
            } => {
                write!(
                    f,
                    "{} for {}",
                    hr.name(),
                    activation_name(*client, *clsid, *kind)
                )?;
                if let Some(o) = obj {
                    write!(f, " with object {o}")?;
                }
                Ok(())
            }
            Msg::Register { apartment, clsids } => write!(
                f,
                "the registration of {} (apartment {} waits)",
                list(clsids),
                apartment + 1
            ),
            Msg::Revoke { apartment, clsids } => write!(
                f,
                "the revocation of {} (apartment {} waits)",
                list(clsids),
                apartment + 1
            ),
            Msg::ScmDone { apartment } => {
                write!(f, "the answer that lets apartment {} return", apartment + 1)
            }
            Msg::Exited => write!(f, "the news that the process exited"),
            Msg::CreateInstance { clsid } => {
                write!(
                    f,
                    "IClassFactory::CreateInstance on {clsid:?}'s class object"
                )
            }
            Msg::LockServer { clsid, lock } => {
                write!(
                    f,
                    "IClassFactory::LockServer({}) on {clsid:?}'s class object",
                    if *lock { "TRUE" } else { "FALSE" }
                )
            }
            Msg::Call { obj } => write!(f, "a method call on object {obj}"),
            Msg::CallSelfDisconnect { obj } => {
                write!(
                    f,
                    "a call on object {obj} of a method that calls CoDisconnectContext(INFINITE)"
                )
            }
            Msg::ReleaseObject { obj } => write!(f, "the final Release of object {obj}"),
            Msg::ReleaseFactory { clsid } => {
                write!(f, "the final Release of {clsid:?}'s IClassFactory")
            }
            Msg::Reply { hr, obj: Some(o) } => write!(f, "{} with object {o}", hr.name()),
            Msg::Reply { hr, obj: None } => write!(f, "{}", hr.name()),
        }
    }
}
