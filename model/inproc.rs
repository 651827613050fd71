//! The `inproc` scenario: one client process with an STA thread and an MTA thread that use an
//! in-process DLL server, and the sweeps of `CoFreeUnusedLibrariesEx` (seed 002 "In-Process
//! Server"; seeds README on the candidate list and the unload delay).
//!
//! The process is one actor: its threads share the DLL's globals, so each thread's COM call is
//! an internal step ([`InprocStep`]) rather than a message. Time is abstract: the unload delay
//! "passes" in a step of its own, which may happen only while no thread runs DLL code and no
//! thread holds an unlocked class object inside one function scope (spec/assumptions.md
//! A-DELAY: both last less than the delay).

use crate::config::{Config, Mechanism};
use serde::Serialize;
use std::fmt;

/// One of the two client threads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Thread {
    /// The STA thread: CoCreateInstance, a call, Release.
    Sta,
    /// The MTA thread: keeps the class object beyond one scope (R-002-LOCKSERVER-HOLD).
    Mta,
}

/// A call a client thread makes into COM or into the DLL's code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum InprocOp {
    /// `CoGetClassObject(CLSCTX_INPROC_SERVER)`: COM loads the DLL if needed (taking it off the
    /// candidate list) and calls `DllGetClassObject`.
    CoGetClassObject,
    /// `IClassFactory::LockServer(TRUE)`.
    LockServerTrue,
    /// `IClassFactory::CreateInstance` through the held factory pointer.
    CreateInstance,
    /// `CoCreateInstance(CLSCTX_INPROC_SERVER)`: get the factory, create, release the factory,
    /// in one call.
    CoCreateInstance,
    /// A method call on the object.
    Call,
    /// The object's final `Release`, first step: the decrement of the DLL's object count.
    ReleaseDecrement,
    /// The object's final `Release`, second step: the return through the DLL's code
    /// (the epilogue).
    ReleaseReturn,
    /// `IClassFactory::LockServer(FALSE)`.
    LockServerFalse,
    /// `Release` of the factory pointer.
    ReleaseFactory,
}

impl InprocOp {
    /// The call in COM terms.
    pub fn api(self) -> &'static str {
        match self {
            InprocOp::CoGetClassObject => "CoGetClassObject(CLSCTX_INPROC_SERVER)",
            InprocOp::LockServerTrue => "IClassFactory::LockServer(TRUE)",
            InprocOp::CreateInstance => "IClassFactory::CreateInstance",
            InprocOp::CoCreateInstance => "CoCreateInstance(CLSCTX_INPROC_SERVER)",
            InprocOp::Call => "a method call on the object",
            InprocOp::ReleaseDecrement => "the object's final Release (decrement)",
            InprocOp::ReleaseReturn => "the object's final Release (return through DLL code)",
            InprocOp::LockServerFalse => "IClassFactory::LockServer(FALSE)",
            InprocOp::ReleaseFactory => "Release on the IClassFactory",
        }
    }
}

/// Every step the process can take.
pub fn all_steps() -> Vec<InprocStep> {
    let mut v: Vec<InprocStep> = STA_SCRIPT
        .iter()
        .map(|op| InprocStep::Do(Thread::Sta, *op))
        .collect();
    v.extend(MTA_SCRIPT.iter().map(|op| InprocStep::Do(Thread::Mta, *op)));
    v.extend([InprocStep::Sweep, InprocStep::DelayPasses]);
    v
}

/// The STA thread's script.
const STA_SCRIPT: &[InprocOp] = &[
    InprocOp::CoCreateInstance,
    InprocOp::Call,
    InprocOp::ReleaseDecrement,
    InprocOp::ReleaseReturn,
];

/// The MTA thread's script: it keeps the factory beyond one scope (between LockServer and
/// CreateInstance other threads run).
const MTA_SCRIPT: &[InprocOp] = &[
    InprocOp::CoGetClassObject,
    InprocOp::LockServerTrue,
    InprocOp::CreateInstance,
    InprocOp::ReleaseDecrement,
    InprocOp::ReleaseReturn,
    InprocOp::LockServerFalse,
    InprocOp::ReleaseFactory,
];

/// An internal step of the process.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum InprocStep {
    /// Thread `t` makes its next call.
    Do(Thread, InprocOp),
    /// A thread of the process calls `CoFreeUnusedLibrariesEx` (the sweep).
    Sweep,
    /// The candidate DLL's unload delay passes.
    DelayPasses,
}

impl InprocStep {
    /// The step in COM terms.
    pub fn describe(self) -> String {
        match self {
            InprocStep::Do(t, op) => format!("{t:?} thread calls {}", op.api()),
            InprocStep::Sweep => "a thread calls CoFreeUnusedLibrariesEx".to_string(),
            InprocStep::DelayPasses => "the unload delay passes".to_string(),
        }
    }
}

/// The in-process server DLL as COM and its own globals see it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub struct Dll {
    /// Whether it is loaded.
    pub loaded: bool,
    /// Incremented on every load; pointers into an older load dangle.
    pub generation: u8,
    /// Whether it is on CoFreeUnusedLibrariesEx's candidate list.
    pub candidate: bool,
    /// Whether the unload delay passed since it became a candidate.
    pub delay_passed: bool,
    /// Objects alive (the DLL's object count).
    pub objects: u8,
    /// LockServer(TRUE) calls not undone (the DLL's lock count).
    pub locks: u8,
    /// Times the DLL was freed.
    pub unloads: u8,
}

/// A client thread.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub struct ThreadState {
    /// Index of its next call in its script.
    pub pc: u8,
    /// Its IClassFactory pointer: the DLL generation it points into.
    pub factory: Option<u8>,
    /// Its object pointer: the DLL generation it points into.
    pub object: Option<u8>,
    /// Whether it holds LockServer(TRUE).
    pub locked: bool,
    /// Whether it is executing DLL code (between the two steps of a final Release).
    pub in_dll: bool,
}

/// The client process's state.
#[derive(Clone, PartialEq, Eq, Hash, Serialize)]
pub struct InprocState {
    /// The DLL.
    pub dll: Dll,
    /// The STA thread (index 0) and the MTA thread (index 1).
    pub threads: [ThreadState; 2],
    /// A thread called or returned into an unloaded DLL: the access violation.
    pub crashed: bool,
    /// The DLL was freed while an object existed, a lock was held or a thread ran its code.
    pub unloaded_while_live: bool,
    /// A candidate DLL was used again and left the candidate list.
    pub revived: bool,
}

impl fmt::Debug for InprocState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = &self.dll;
        if d.loaded {
            write!(
                f,
                "DLL loaded (load #{}) objects={} locks={}",
                d.generation, d.objects, d.locks
            )?;
            if d.candidate {
                write!(
                    f,
                    " CANDIDATE{}",
                    if d.delay_passed {
                        " (delay passed)"
                    } else {
                        ""
                    }
                )?;
            }
        } else {
            write!(f, "DLL not loaded")?;
        }
        for (t, th) in [Thread::Sta, Thread::Mta].iter().zip(&self.threads) {
            write!(f, "; {t:?}: step {}", th.pc)?;
            if th.factory.is_some() {
                write!(f, " factory")?;
            }
            if th.locked {
                write!(f, " locked")?;
            }
            if th.object.is_some() {
                write!(f, " object")?;
            }
            if th.in_dll {
                write!(f, " IN DLL CODE")?;
            }
        }
        if self.crashed {
            write!(f, "; CRASHED (call into unloaded DLL)")?;
        }
        Ok(())
    }
}

fn script(t: Thread) -> &'static [InprocOp] {
    match t {
        Thread::Sta => STA_SCRIPT,
        Thread::Mta => MTA_SCRIPT,
    }
}

impl InprocState {
    /// The process before any call.
    pub fn new() -> Self {
        InprocState {
            dll: Dll::default(),
            threads: [ThreadState::default(); 2],
            crashed: false,
            unloaded_while_live: false,
            revived: false,
        }
    }

    /// Whether both threads finished their scripts.
    pub fn threads_done(&self) -> bool {
        [Thread::Sta, Thread::Mta]
            .into_iter()
            .all(|t| self.next_op(t).is_none())
    }

    /// `DllCanUnloadNow`: S_OK (true) when no object exists and, with the mechanism on, no
    /// lock is held; class-factory references do not count (R-002-DLLCANUNLOADNOW) unless the
    /// opt-in remedy `dll-counts-factories` is enabled (R-002-FACTORY-COUNT-OPTION).
    pub fn can_unload_now(&self, cfg: &Config) -> bool {
        self.dll.objects == 0
            && (self.dll.locks == 0 || !cfg.on(Mechanism::DllcanunloadnowCountsLocks))
            && !(cfg.on(Mechanism::DllCountsFactories)
                && self
                    .threads
                    .iter()
                    .any(|t| t.factory == Some(self.dll.generation)))
    }

    /// Whether thread `t` holds an unlocked factory pointer inside the function that uses it:
    /// a client that follows R-002-LOCKSERVER-HOLD holds one unlocked only between
    /// CoGetClassObject and LockServer(TRUE), or between LockServer(FALSE) and Release, in one
    /// scope; one that does not (`client-locks-factory` off) holds it beyond the scope.
    fn unlocked_in_scope(&self, cfg: &Config, t: &ThreadState) -> bool {
        cfg.on(Mechanism::ClientLocksFactory) && t.factory.is_some() && !t.locked
    }

    /// Whether `op` is skipped in the current state: a lock the client does not take
    /// (`client-locks-factory` off) or does not hold, or a call on an object it has not got.
    fn skipped(&self, cfg: &Config, t: Thread, op: InprocOp) -> bool {
        let th = &self.threads[t as usize];
        match op {
            InprocOp::LockServerTrue => !cfg.on(Mechanism::ClientLocksFactory),
            InprocOp::LockServerFalse => !th.locked,
            InprocOp::Call | InprocOp::ReleaseDecrement => th.object.is_none(),
            InprocOp::ReleaseReturn => !th.in_dll,
            _ => false,
        }
    }

    /// The next call of thread `t`, skipping calls that do not apply; `None` when done.
    fn next_op(&self, t: Thread) -> Option<InprocOp> {
        script(t).get(self.threads[t as usize].pc as usize).copied()
    }

    /// Moves thread `t` past skipped calls.
    fn advance(&mut self, cfg: &Config, t: Thread) {
        self.threads[t as usize].pc += 1;
        while let Some(op) = self.next_op(t) {
            if !self.skipped(cfg, t, op) {
                break;
            }
            self.threads[t as usize].pc += 1;
        }
    }

    /// The internal steps enabled now. After a crash the process is gone: nothing.
    pub fn enabled(&self, cfg: &Config) -> Vec<InprocStep> {
        let mut v = Vec::new();
        if self.crashed {
            return v;
        }
        for t in [Thread::Sta, Thread::Mta] {
            if let Some(op) = self.next_op(t) {
                v.push(InprocStep::Do(t, op));
            }
        }
        if self.dll.loaded {
            let ok = self.can_unload_now(cfg);
            let sweep_changes = if self.dll.candidate {
                !ok || self.dll.delay_passed
            } else {
                ok
            };
            if sweep_changes {
                v.push(InprocStep::Sweep);
            }
            if self.dll.candidate
                && !self.dll.delay_passed
                && self
                    .threads
                    .iter()
                    .all(|t| !t.in_dll && !self.unlocked_in_scope(cfg, t))
            {
                v.push(InprocStep::DelayPasses);
            }
        }
        v
    }

    /// COM loads the DLL if needed, and takes a candidate off the list.
    fn com_get_class_object(&mut self) -> u8 {
        if !self.dll.loaded {
            self.dll.loaded = true;
            self.dll.generation += 1;
        } else if self.dll.candidate {
            self.dll.candidate = false;
            self.revived = true;
        }
        self.dll.generation
    }

    /// A call into DLL code through a pointer into load `gen`: crashes if that load is gone.
    fn call_into(&mut self, gen: Option<u8>) -> bool {
        let live = self.dll.loaded && gen == Some(self.dll.generation);
        self.crashed |= !live;
        live
    }

    /// Frees the DLL (CoFreeLibrary).
    fn free(&mut self) {
        self.unloaded_while_live |=
            self.dll.objects > 0 || self.dll.locks > 0 || self.threads.iter().any(|t| t.in_dll);
        self.dll.loaded = false;
        self.dll.candidate = false;
        self.dll.delay_passed = false;
        self.dll.unloads += 1;
    }

    /// Performs `step` (which must be enabled).
    pub fn step(&mut self, cfg: &Config, step: InprocStep) {
        match step {
            InprocStep::Sweep => {
                let ok = self.can_unload_now(cfg);
                if !self.dll.candidate {
                    if cfg.on(Mechanism::UnloadDelay) {
                        self.dll.candidate = true;
                        self.dll.delay_passed = false;
                    } else {
                        self.free();
                    }
                } else if !ok {
                    self.dll.candidate = false;
                } else {
                    self.free();
                }
            }
            InprocStep::DelayPasses => self.dll.delay_passed = true,
            InprocStep::Do(t, op) => {
                let i = t as usize;
                match op {
                    InprocOp::CoGetClassObject => {
                        let gen = self.com_get_class_object();
                        self.threads[i].factory = Some(gen);
                    }
                    InprocOp::CoCreateInstance => {
                        let gen = self.com_get_class_object();
                        self.dll.objects += 1;
                        self.threads[i].object = Some(gen);
                    }
                    InprocOp::LockServerTrue | InprocOp::LockServerFalse => {
                        if self.call_into(self.threads[i].factory) {
                            let lock = op == InprocOp::LockServerTrue;
                            self.threads[i].locked = lock;
                            if lock {
                                self.dll.locks += 1;
                            } else {
                                self.dll.locks -= 1;
                            }
                        }
                    }
                    InprocOp::CreateInstance => {
                        if self.call_into(self.threads[i].factory) {
                            self.dll.objects += 1;
                            self.threads[i].object = self.threads[i].factory;
                        }
                    }
                    InprocOp::Call => {
                        self.call_into(self.threads[i].object);
                    }
                    InprocOp::ReleaseDecrement => {
                        if self.call_into(self.threads[i].object) {
                            self.dll.objects -= 1;
                            self.threads[i].in_dll = true;
                        }
                    }
                    InprocOp::ReleaseReturn => {
                        // The epilogue runs in the load the object came from.
                        self.call_into(self.threads[i].object);
                        self.threads[i].in_dll = false;
                        self.threads[i].object = None;
                    }
                    InprocOp::ReleaseFactory => {
                        self.call_into(self.threads[i].factory);
                        self.threads[i].factory = None;
                    }
                }
                if !self.crashed {
                    self.advance(cfg, t);
                }
            }
        }
    }
}

impl Default for InprocState {
    fn default() -> Self {
        Self::new()
    }
}
