//! The `inproc` scenario: one client process with an STA thread and two MTA threads that use
//! an in-process DLL server (ThreadingModel=Both), and the sweeps of `CoFreeUnusedLibrariesEx`
//! (seed 002 "In-Process Server"; seeds README and Microsoft's CoFreeUnusedLibrariesEx page on
//! the per-apartment lists, the candidate list and the unload delay; Wine's
//! `apartment_freeunusedlibraries` for the variant `wine-candidate-list`).
//!
//! The process is one actor: its threads share the DLL's globals, so each thread's COM call is
//! an internal step ([`InprocStep`]) rather than a message. COM keeps one list of loaded DLLs
//! per apartment ([`Apt`]); a sweep is made by a named thread and considers only its own
//! apartment's entry; the DLL is freed when no apartment's list holds it any more. Time is
//! abstract: an entry's unload delay "passes" in a step of its own, which may happen only while
//! no thread runs DLL code and no thread holds an unlocked class object inside one function
//! scope (spec/assumptions.md A-DELAY: both last less than the delay).

use crate::com::config::Config;

use crate::com::toggles::Toggle;
use serde::Serialize;
use std::fmt;

/// An apartment of the client process.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Apt {
    /// The single-threaded apartment of the STA thread.
    Sta,
    /// The multithreaded apartment, shared by both MTA threads.
    Mta,
}

/// One of the client process's threads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Thread {
    /// The STA thread: CoCreateInstance, a call, Release; it sweeps the STA's list.
    Sta,
    /// MTA thread 1: keeps the class object beyond one scope, under LockServer
    /// (R-002-LOCKSERVER-HOLD); it sweeps the MTA's list outside that scope.
    Mta1,
    /// MTA thread 2: CoCreateInstance, a call, Release; it sweeps the MTA's list.
    Mta2,
}

impl Thread {
    /// Every thread, in index order.
    pub const ALL: [Thread; 3] = [Thread::Sta, Thread::Mta1, Thread::Mta2];

    /// The apartment the thread belongs to.
    pub fn apartment(self) -> Apt {
        match self {
            Thread::Sta => Apt::Sta,
            Thread::Mta1 | Thread::Mta2 => Apt::Mta,
        }
    }

    /// The thread as the subject of a sentence: "the STA thread", "MTA thread 1".
    pub fn subject(self) -> &'static str {
        match self {
            Thread::Sta => "the STA thread",
            Thread::Mta1 => "MTA thread 1",
            Thread::Mta2 => "MTA thread 2",
        }
    }

    /// "STA thread", "MTA thread 1", "MTA thread 2".
    pub fn name(self) -> &'static str {
        match self {
            Thread::Sta => "STA thread",
            Thread::Mta1 => "MTA thread 1",
            Thread::Mta2 => "MTA thread 2",
        }
    }
}

/// A call a client thread makes into COM or into the DLL's code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum InprocOp {
    /// `CoGetClassObject(CLSCTX_INPROC_SERVER)`: COM loads the DLL into the thread's apartment
    /// if needed (or takes its entry off the candidate list) and calls `DllGetClassObject`.
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
            InprocOp::Call => "a method on its object",
            InprocOp::ReleaseDecrement => "the object's final Release (decrement)",
            InprocOp::ReleaseReturn => "the object's final Release (return through DLL code)",
            InprocOp::LockServerFalse => "IClassFactory::LockServer(FALSE)",
            InprocOp::ReleaseFactory => "Release on the IClassFactory",
        }
    }
}

/// The script of a thread that creates, uses and releases one object.
const CREATE_SCRIPT: &[InprocOp] = &[
    InprocOp::CoCreateInstance,
    InprocOp::Call,
    InprocOp::ReleaseDecrement,
    InprocOp::ReleaseReturn,
];

/// MTA thread 1's script: it keeps the factory beyond one scope (between LockServer and
/// CreateInstance other threads run).
const FACTORY_SCRIPT: &[InprocOp] = &[
    InprocOp::CoGetClassObject,
    InprocOp::LockServerTrue,
    InprocOp::CreateInstance,
    InprocOp::ReleaseDecrement,
    InprocOp::ReleaseReturn,
    InprocOp::LockServerFalse,
    InprocOp::ReleaseFactory,
];

fn script(t: Thread) -> &'static [InprocOp] {
    match t {
        Thread::Mta1 => FACTORY_SCRIPT,
        Thread::Sta | Thread::Mta2 => CREATE_SCRIPT,
    }
}

/// An internal step of the process.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum InprocStep {
    /// Thread `t` makes its next call.
    Do(Thread, InprocOp),
    /// Thread `t` calls `CoFreeUnusedLibrariesEx(INFINITE, 0)`: a sweep of its apartment's list.
    Sweep(Thread),
    /// The unload delay of the apartment's candidate entry passes.
    DelayPasses(Apt),
}

impl InprocStep {
    /// The step as a one-line COM phrase.
    pub fn phrase(self) -> String {
        match self {
            InprocStep::Do(t, op) => format!("{} calls {}", t.subject(), op.api()),
            InprocStep::Sweep(t) => format!("{} calls CoFreeUnusedLibrariesEx", t.subject()),
            InprocStep::DelayPasses(a) => {
                format!(
                    "the unload delay of the DLL's {} entry passes",
                    crate::com::names::apt_name(a)
                )
            }
        }
    }
}

/// Every step the process can take.
pub fn all_steps() -> Vec<InprocStep> {
    let mut v: Vec<InprocStep> = Thread::ALL
        .iter()
        .flat_map(|t| script(*t).iter().map(move |op| InprocStep::Do(*t, *op)))
        .collect();
    v.extend(Thread::ALL.map(InprocStep::Sweep));
    v.extend([
        InprocStep::DelayPasses(Apt::Sta),
        InprocStep::DelayPasses(Apt::Mta),
    ]);
    v
}

/// An apartment's entry for the DLL in COM's list of loaded DLLs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub struct Entry {
    /// Whether it is on the candidate-for-unload list.
    pub candidate: bool,
    /// Whether the unload delay passed since it became a candidate.
    pub delay_passed: bool,
}

/// The in-process server DLL as COM and its own globals see it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub struct Dll {
    /// The entries of the STA's list (index 0) and of the MTA's list (index 1). The module is
    /// loaded while any entry exists (each holds a reference on it).
    pub entries: [Option<Entry>; 2],
    /// Incremented on every load of the module; pointers into an older load dangle.
    pub generation: u8,
    /// Objects alive (the DLL's object count).
    pub objects: u8,
    /// LockServer(TRUE) calls not undone (the DLL's lock count).
    pub locks: u8,
    /// Times the module was freed.
    pub unloads: u8,
}

impl Dll {
    /// Whether the module is loaded.
    pub fn loaded(&self) -> bool {
        self.entries.iter().any(Option::is_some)
    }
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
    /// The threads, in [`Thread::ALL`] order.
    pub threads: [ThreadState; 3],
    /// A thread called or returned into an unloaded DLL: the access violation.
    pub crashed: bool,
    /// The DLL was freed while an object existed, a lock was held or a thread ran its code.
    pub unloaded_while_live: bool,
    /// A candidate entry was used again through COM and left the candidate list.
    pub revived: bool,
}

impl fmt::Debug for InprocState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = &self.dll;
        if d.loaded() {
            write!(
                f,
                "DLL loaded (load {}) objects={} locks={}",
                d.generation, d.objects, d.locks
            )?;
            for (apt, e) in [Apt::Sta, Apt::Mta].iter().zip(&d.entries) {
                match e {
                    None => {}
                    Some(e) if e.candidate => write!(
                        f,
                        "; {apt:?} entry CANDIDATE{}",
                        if e.delay_passed {
                            " (delay passed)"
                        } else {
                            ""
                        }
                    )?,
                    Some(_) => write!(f, "; {apt:?} entry")?,
                }
            }
        } else {
            write!(f, "DLL not loaded")?;
        }
        for (t, th) in Thread::ALL.iter().zip(&self.threads) {
            write!(f, "; {}: step {}", t.name(), th.pc + 1)?;
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

impl InprocState {
    /// The process before any call.
    pub fn new() -> Self {
        InprocState {
            dll: Dll::default(),
            threads: [ThreadState::default(); 3],
            crashed: false,
            unloaded_while_live: false,
            revived: false,
        }
    }

    /// Whether every thread finished its script.
    pub fn threads_done(&self) -> bool {
        Thread::ALL.into_iter().all(|t| self.next_op(t).is_none())
    }

    /// `DllCanUnloadNow`: S_OK (true) when no object exists and, with the mechanism on, no
    /// lock is held; class-factory references do not count (R-002-DLLCANUNLOADNOW) unless the
    /// remedy `dll-counts-factories` is enabled (R-002-FACTORY-COUNT-OPTION).
    pub fn can_unload_now(&self, cfg: &Config) -> bool {
        self.dll.objects == 0
            && (self.dll.locks == 0 || !cfg.on(Toggle::DllcanunloadnowCountsLocks))
            && !(cfg.on(Toggle::DllCountsFactories)
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
        cfg.on(Toggle::ClientLocksFactory) && t.factory.is_some() && !t.locked
    }

    /// Whether `op` is skipped in the current state: a lock the client does not take
    /// (`client-locks-factory` off) or does not hold, or a call on an object it has not got.
    fn skipped(&self, cfg: &Config, t: Thread, op: InprocOp) -> bool {
        let th = &self.threads[t as usize];
        match op {
            InprocOp::LockServerTrue => !cfg.on(Toggle::ClientLocksFactory),
            InprocOp::LockServerFalse => !th.locked,
            InprocOp::Call | InprocOp::ReleaseDecrement => th.object.is_none(),
            InprocOp::ReleaseReturn => !th.in_dll,
            _ => false,
        }
    }

    /// The next call of thread `t`; `None` when done.
    pub fn next_op(&self, t: Thread) -> Option<InprocOp> {
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

    /// Whether thread `t` may call CoFreeUnusedLibrariesEx now: not in the middle of its own
    /// call (a Release epilogue, or the one function scope in which it holds an unlocked class
    /// object), and for the STA thread only with `every-apartment-sweeps` on.
    fn may_sweep(&self, cfg: &Config, t: Thread) -> bool {
        let th = &self.threads[t as usize];
        !th.in_dll
            && !self.unlocked_in_scope(cfg, th)
            && (t != Thread::Sta || cfg.on(Toggle::EveryApartmentSweeps))
    }

    /// What a sweep of apartment `apt`'s list does to its entry, if anything changes.
    fn sweep_outcome(&self, cfg: &Config, apt: Apt) -> Option<SweepOutcome> {
        let e = self.dll.entries[apt as usize]?;
        let ok = self.can_unload_now(cfg);
        let delay = cfg.on(Toggle::UnloadDelay);
        if cfg.on(Toggle::WineCandidateList) {
            // Wine: every entry is asked; S_FALSE clears the mark.
            match (ok, e.candidate) {
                (true, _) if !delay => Some(SweepOutcome::Free),
                (true, true) if e.delay_passed => Some(SweepOutcome::Free),
                (true, false) => Some(SweepOutcome::Mark),
                (false, true) => Some(SweepOutcome::Unmark),
                _ => None,
            }
        } else if e.candidate {
            // Microsoft's text: a candidate is freed once the delay has passed; the page does
            // not say DllCanUnloadNow is asked again.
            e.delay_passed.then_some(SweepOutcome::Free)
        } else if ok {
            Some(if delay {
                SweepOutcome::Mark
            } else {
                SweepOutcome::Free
            })
        } else {
            None
        }
    }

    /// The internal steps enabled now. After a crash the process is gone: nothing.
    pub fn enabled(&self, cfg: &Config) -> Vec<InprocStep> {
        let mut v = Vec::new();
        if self.crashed {
            return v;
        }
        for t in Thread::ALL {
            if let Some(op) = self.next_op(t) {
                v.push(InprocStep::Do(t, op));
            }
        }
        for t in Thread::ALL {
            if self.may_sweep(cfg, t) && self.sweep_outcome(cfg, t.apartment()).is_some() {
                v.push(InprocStep::Sweep(t));
            }
        }
        let quiet = self
            .threads
            .iter()
            .all(|t| !t.in_dll && !self.unlocked_in_scope(cfg, t));
        for apt in [Apt::Sta, Apt::Mta] {
            if quiet
                && self.dll.entries[apt as usize].is_some_and(|e| e.candidate && !e.delay_passed)
            {
                v.push(InprocStep::DelayPasses(apt));
            }
        }
        v
    }

    /// COM loads the DLL for `apt` if needed (a new module load when no apartment holds it)
    /// and, under Microsoft's text, takes a candidate entry back to the active list.
    fn com_get_class_object(&mut self, cfg: &Config, apt: Apt) -> u8 {
        if !self.dll.loaded() {
            self.dll.generation += 1;
        }
        match &mut self.dll.entries[apt as usize] {
            None => self.dll.entries[apt as usize] = Some(Entry::default()),
            Some(e) if e.candidate && !cfg.on(Toggle::WineCandidateList) => {
                *e = Entry::default();
                self.revived = true;
            }
            Some(_) => {}
        }
        self.dll.generation
    }

    /// A call into DLL code through a pointer into load `gen`: crashes if that load is gone.
    fn call_into(&mut self, gen: Option<u8>) -> bool {
        let live = self.dll.loaded() && gen == Some(self.dll.generation);
        self.crashed |= !live;
        live
    }

    /// Removes `apt`'s entry; when it was the last, COM frees the module (CoFreeLibrary).
    fn free(&mut self, apt: Apt) {
        self.dll.entries[apt as usize] = None;
        if !self.dll.loaded() {
            self.unloaded_while_live |=
                self.dll.objects > 0 || self.dll.locks > 0 || self.threads.iter().any(|t| t.in_dll);
            self.dll.unloads += 1;
        }
    }

    /// Performs `step` (which must be enabled).
    pub fn step(&mut self, cfg: &Config, step: InprocStep) {
        match step {
            InprocStep::Sweep(t) => {
                let apt = t.apartment();
                let entry = match self.sweep_outcome(cfg, apt) {
                    Some(SweepOutcome::Free) => return self.free(apt),
                    Some(SweepOutcome::Mark) => Entry {
                        candidate: true,
                        delay_passed: false,
                    },
                    Some(SweepOutcome::Unmark) => Entry::default(),
                    None => return,
                };
                self.dll.entries[apt as usize] = Some(entry);
            }
            InprocStep::DelayPasses(apt) => {
                if let Some(e) = self.dll.entries[apt as usize].as_mut() {
                    e.delay_passed = true;
                }
            }
            InprocStep::Do(t, op) => {
                let i = t as usize;
                match op {
                    InprocOp::CoGetClassObject => {
                        let gen = self.com_get_class_object(cfg, t.apartment());
                        self.threads[i].factory = Some(gen);
                    }
                    InprocOp::CoCreateInstance => {
                        let gen = self.com_get_class_object(cfg, t.apartment());
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

/// What one sweep does to an apartment's entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SweepOutcome {
    /// Put it on the candidate list (time-stamped).
    Mark,
    /// Take it off the candidate list (Wine, on S_FALSE).
    Unmark,
    /// Remove it (and free the module if no other apartment holds it).
    Free,
}

impl Default for InprocState {
    fn default() -> Self {
        Self::new()
    }
}
