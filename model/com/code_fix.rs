//! Fixes to a server's own lifetime code, as a server description states it in its keys
//! (issue 22 §3). Where a description departs from the discipline of seeds 002 and 003 — it
//! exits on its first object's destruction, or its LockServer counts nothing — the fix is the
//! change back to that discipline, with the code a developer writes. The remedy search tries
//! each fix that applies to a description, as it tries the opt-in remedies (toggles), alone and
//! in pairs (model/verify/remedies.rs); this module says what each fix is.

use crate::com::config::{ExitDecision, Layout};
use serde::Serialize;

/// A change to a described server's lifetime code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum CodeFix {
    /// Count the objects and exit when the count reaches zero (002 "Local Server",
    /// R-002-FINAL-DECREMENT; 003's CoAddRefServerProcess/CoReleaseServerProcess), instead of
    /// exiting on the first object's destruction (`exit = "first-object-destroyed"`,
    /// spec/assumptions.md A-EVENT-EXIT): `exit = "count"`.
    CountObjects,
    /// Make `IClassFactory::LockServer` count (R-002-LOCKSERVER-HOLD, 003), instead of returning
    /// E_FAIL and counting nothing (`lock_server = "e-fail"`, A-IMPLICIT-LOCK-RESULT):
    /// `lock_server = "counts"` for every class.
    LockServerCounts,
    /// (`exit = "windows"`) Revoke the class objects before PostQuitMessage, so that an
    /// activation after the decision is refused and the SCM launches another instance
    /// (R-003-SCM-RELAUNCH): `revoke_before_quit = true` (spec/assumptions.md A-WINDOWS-EXIT).
    RevokeBeforeQuit,
    /// (`exit = "windows"`) Quit only when no window is open and no object is alive, and check
    /// again at each object's final release: `quit_waits_for_objects = true`.
    QuitWaitsForObjects,
}

impl CodeFix {
    /// Every fix, in the order the remedy search tries them (after the toggles).
    pub const ALL: [CodeFix; 4] = [
        CodeFix::CountObjects,
        CodeFix::LockServerCounts,
        CodeFix::RevokeBeforeQuit,
        CodeFix::QuitWaitsForObjects,
    ];

    /// The fix as the description line that states it, which is also its name in the answer:
    /// `exit = "count"`.
    pub fn name(self) -> &'static str {
        match self {
            CodeFix::CountObjects => "exit = \"count\"",
            CodeFix::LockServerCounts => "lock_server = \"counts\"",
            CodeFix::RevokeBeforeQuit => "revoke_before_quit = true",
            CodeFix::QuitWaitsForObjects => "quit_waits_for_objects = true",
        }
    }

    /// Where the line goes in a description, in words.
    pub fn place(self) -> &'static str {
        match self {
            CodeFix::CountObjects => "[server]",
            CodeFix::LockServerCounts => "every [[server.classes]] entry",
            CodeFix::RevokeBeforeQuit | CodeFix::QuitWaitsForObjects => "[server]",
        }
    }

    /// Whether the fix changes `layout`: the server departs from the discipline it restores.
    pub fn applies(self, layout: &Layout) -> bool {
        match self {
            CodeFix::CountObjects => layout.exit == ExitDecision::FirstObjectDestroyed,
            CodeFix::LockServerCounts => layout.lockserver_fails != 0,
            CodeFix::RevokeBeforeQuit => {
                layout.exit == ExitDecision::Windows && !layout.revoke_before_quit
            }
            CodeFix::QuitWaitsForObjects => {
                layout.exit == ExitDecision::Windows && !layout.quit_waits_for_objects
            }
        }
    }

    /// `layout` with the fix made.
    pub fn apply(self, mut layout: Layout) -> Layout {
        match self {
            CodeFix::CountObjects => layout.exit = ExitDecision::Count,
            CodeFix::LockServerCounts => layout.lockserver_fails = 0,
            CodeFix::RevokeBeforeQuit => layout.revoke_before_quit = true,
            CodeFix::QuitWaitsForObjects => layout.quit_waits_for_objects = true,
        }
        layout
    }

    /// The code a developer writes, with its source.
    pub fn code_shape(self) -> &'static str {
        match self {
            CodeFix::CountObjects => {
                "count the objects and exit when the count returns to zero instead of on the first \
                 destructor: CoAddRefServerProcess in the object's constructor, and in its \
                 destructor `if (CoReleaseServerProcess() == 0) SetEvent(hevtDone);` (003, \
                 \"Out-of-Process Server Implementation Helpers\"; CoReleaseServerProcess also \
                 suspends the class objects at zero)"
            }
            CodeFix::LockServerCounts => {
                "make IClassFactory::LockServer count and return S_OK: `if (fLock) \
                 CoAddRefServerProcess(); else if (CoReleaseServerProcess() == 0) \
                 SetEvent(hevtDone); return S_OK;` (002 \"Local Server\": LockServer keeps the \
                 server loaded; 003)"
            }
            CodeFix::RevokeBeforeQuit => {
                "call CoRevokeClassObject for the class objects before PostQuitMessage (in \
                 Windows Terminal: the existing CTerminalHandoff::s_StopListening, from \
                 _postQuitMessageIfNeeded), so that a later activation is refused and COM starts \
                 a new instance (003, R-003-SCM-RELAUNCH)"
            }
            CodeFix::QuitWaitsForObjects => {
                "quit only when no window is open and no COM object is alive: count the objects \
                 (CoAddRefServerProcess/CoReleaseServerProcess), test the count beside the \
                 window count before PostQuitMessage, and test both again at each object's \
                 final release (002's final-decrement rule beside the windows)"
            }
        }
    }
}
