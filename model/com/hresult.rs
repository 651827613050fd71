//! HRESULT values the model's calls return.
//!
//! Codes are the ones defined by the Windows SDK (winerror.h); the list of those that matter to
//! server lifetime comes from the source set's facts checked against Microsoft's API pages and Wine (rules `R-SEEDS-…`, spec/rules.md).

use serde::Serialize;
use std::fmt;

/// An HRESULT a COM call in the model can return.
///
/// The variant names are COM's own symbols so that traces read like a debugger session.
/// `RPC_S_SERVER_UNAVAILABLE` is the Win32 RPC status as an HRESULT (`HRESULT_FROM_WIN32`),
/// which is what a client typically sees when it calls into a server process that has exited.
#[allow(non_camel_case_types)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Hresult {
    /// 0x00000000: success.
    S_OK,
    /// 0x80010108: the object invoked has disconnected from its clients (its stub was
    /// disconnected by `CoDisconnectObject` or `CoDisconnectContext`). Seeds 001, 002.
    RPC_E_DISCONNECTED,
    /// 0x800401FD: the object is not connected to the server; returned to new calls while a
    /// `CoDisconnectObject` waits for in-flight calls (seeds README).
    CO_E_OBJNOTCONNECTED,
    /// 0x80080008: the server's class objects are suspended or revoked because it is shutting
    /// down; the SCM then starts a new instance (seed 003, seeds README).
    CO_E_SERVER_STOPPING,
    /// 0x80080005: server execution failed: the SCM could not get the class object from a
    /// server (in the model: every instance slot is used, or the class was registered without
    /// CLSCTX_LOCAL_SERVER so no registration ever reaches the SCM).
    CO_E_SERVER_EXEC_FAILURE,
    /// 0x800706BA: the RPC server is unavailable: the call went to a process that has exited.
    RPC_S_SERVER_UNAVAILABLE,
    /// 0x8001011F: CoDisconnectContext could not disconnect every proxy within its time-out
    /// because calls are outstanding (seed 000).
    RPC_E_TIMEOUT,
    /// 0x8004E005: an object called CoDisconnectContext on the context it resides in (seed 000).
    CONTEXT_E_WOULD_DEADLOCK,
    /// 0x80004021: the current context cannot be disconnected (a default context); seed 000
    /// calls it "CO_E_NOTSUPPORTED", which is not a defined symbol (seeds README).
    CO_E_NOT_SUPPORTED,
    /// 0x80070005: general access denied: COM's security check refused a call because the
    /// caller lacks access permission; KB 170915's activation that launched the server but is
    /// refused before it reaches the server's code (seeds README, KB 170915).
    E_ACCESSDENIED,
    /// 0x80004001: not implemented: Wine's `IClassFactory_LockServer_Proxy` is a stub that
    /// returns it without reaching the server (R-WINE-LOCKSERVER-STUB; seeds README; harness
    /// case b).
    E_NOTIMPL,
    /// 0x80004005: unspecified failure: Wine's `local_server_QueryService` (dlls/combase/
    /// apartment.c) answers it when the class is no longer registered in the server
    /// (R-WINE-ACTIVATION).
    E_FAIL,
    /// 0x80004002: no such interface: Wine's `rpc_get_local_class_object` (dlls/combase/rpc.c)
    /// returns it when the server it launched exits before registering ("Server for %s failed
    /// to start"), R-WINE-ACTIVATION.
    E_NOINTERFACE,
    /// 0x800706B5: the interface is unknown: Wine's answer to a call on a stub the server
    /// disconnected with CoDisconnectObject (Windows: RPC_E_DISCONNECTED); seeds README,
    /// R-WINE-DISCONNECTED.
    RPC_S_UNKNOWN_IF,
    /// 0x800706BE: the remote procedure call failed: Wine's rpcrt4 answers it to a call whose
    /// reply never comes because the server process exited with the call taken but not
    /// answered (`RPCRT4_default_receive_fragment`, dlls/rpcrt4/rpc_message.c line 1298, "Short
    /// read of header"); a call made after the exit fails to connect instead
    /// (RPC_S_SERVER_UNAVAILABLE). R-WINE-TEARDOWN; harness/conformance
    /// (tests/conform/wine-call-failed-at-exit.log).
    RPC_S_CALL_FAILED,
}

impl Hresult {
    /// Every HRESULT the model knows, in declaration order (the order of [`Hresult::index`]).
    pub const ALL: [Hresult; 15] = [
        Hresult::S_OK,
        Hresult::RPC_E_DISCONNECTED,
        Hresult::CO_E_OBJNOTCONNECTED,
        Hresult::CO_E_SERVER_STOPPING,
        Hresult::CO_E_SERVER_EXEC_FAILURE,
        Hresult::RPC_S_SERVER_UNAVAILABLE,
        Hresult::RPC_E_TIMEOUT,
        Hresult::CONTEXT_E_WOULD_DEADLOCK,
        Hresult::CO_E_NOT_SUPPORTED,
        Hresult::E_ACCESSDENIED,
        Hresult::E_NOTIMPL,
        Hresult::E_FAIL,
        Hresult::E_NOINTERFACE,
        Hresult::RPC_S_UNKNOWN_IF,
        Hresult::RPC_S_CALL_FAILED,
    ];

    /// The 32-bit HRESULT value, as defined in winerror.h.
    pub const fn code(self) -> u32 {
        match self {
            Hresult::S_OK => 0x0000_0000,
            Hresult::RPC_E_DISCONNECTED => 0x8001_0108,
            Hresult::CO_E_OBJNOTCONNECTED => 0x8004_01FD,
            Hresult::CO_E_SERVER_STOPPING => 0x8008_0008,
            Hresult::CO_E_SERVER_EXEC_FAILURE => 0x8008_0005,
            Hresult::RPC_S_SERVER_UNAVAILABLE => 0x8007_06BA,
            Hresult::RPC_E_TIMEOUT => 0x8001_011F,
            Hresult::CONTEXT_E_WOULD_DEADLOCK => 0x8004_E005,
            Hresult::CO_E_NOT_SUPPORTED => 0x8000_4021,
            Hresult::E_ACCESSDENIED => 0x8007_0005,
            Hresult::E_NOTIMPL => 0x8000_4001,
            Hresult::E_FAIL => 0x8000_4005,
            Hresult::E_NOINTERFACE => 0x8000_4002,
            Hresult::RPC_S_UNKNOWN_IF => 0x8007_06B5,
            Hresult::RPC_S_CALL_FAILED => 0x8007_06BE,
        }
    }

    /// The symbol, e.g. `"RPC_E_DISCONNECTED"`.
    pub fn name(self) -> &'static str {
        match self {
            Hresult::S_OK => "S_OK",
            Hresult::RPC_E_DISCONNECTED => "RPC_E_DISCONNECTED",
            Hresult::CO_E_OBJNOTCONNECTED => "CO_E_OBJNOTCONNECTED",
            Hresult::CO_E_SERVER_STOPPING => "CO_E_SERVER_STOPPING",
            Hresult::CO_E_SERVER_EXEC_FAILURE => "CO_E_SERVER_EXEC_FAILURE",
            Hresult::RPC_S_SERVER_UNAVAILABLE => "RPC_S_SERVER_UNAVAILABLE",
            Hresult::RPC_E_TIMEOUT => "RPC_E_TIMEOUT",
            Hresult::CONTEXT_E_WOULD_DEADLOCK => "CONTEXT_E_WOULD_DEADLOCK",
            Hresult::CO_E_NOT_SUPPORTED => "CO_E_NOT_SUPPORTED",
            Hresult::E_ACCESSDENIED => "E_ACCESSDENIED",
            Hresult::E_NOTIMPL => "E_NOTIMPL",
            Hresult::E_FAIL => "E_FAIL",
            Hresult::E_NOINTERFACE => "E_NOINTERFACE",
            Hresult::RPC_S_UNKNOWN_IF => "RPC_S_UNKNOWN_IF",
            Hresult::RPC_S_CALL_FAILED => "RPC_S_CALL_FAILED",
        }
    }

    /// Position in [`Hresult::ALL`]; used to pack observations into a bit set.
    pub const fn index(self) -> usize {
        self as usize
    }

    /// True for `S_OK`.
    pub const fn succeeded(self) -> bool {
        matches!(self, Hresult::S_OK)
    }
}

impl fmt::Display for Hresult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (0x{:08X})", self.name(), self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_match_winerror_h() {
        assert_eq!(Hresult::RPC_E_DISCONNECTED.code(), 0x80010108);
        assert_eq!(Hresult::CO_E_SERVER_STOPPING.code(), 0x80080008);
        assert_eq!(Hresult::RPC_S_SERVER_UNAVAILABLE.code(), 0x800706BA);
        assert_eq!(Hresult::RPC_E_TIMEOUT.code(), 0x8001011F);
        assert_eq!(Hresult::CONTEXT_E_WOULD_DEADLOCK.code(), 0x8004E005);
        assert_eq!(Hresult::CO_E_NOT_SUPPORTED.code(), 0x80004021);
        assert_eq!(Hresult::E_ACCESSDENIED.code(), 0x80070005);
        assert_eq!(Hresult::E_NOTIMPL.code(), 0x80004001);
        assert_eq!(Hresult::E_FAIL.code(), 0x80004005);
        assert_eq!(Hresult::E_NOINTERFACE.code(), 0x80004002);
        assert_eq!(Hresult::RPC_S_UNKNOWN_IF.code(), 0x800706B5);
        assert_eq!(Hresult::RPC_S_CALL_FAILED.code(), 0x800706BE);
        for (i, h) in Hresult::ALL.iter().enumerate() {
            assert_eq!(h.index(), i);
        }
    }
}
