//! Which server shapes the model has, decided in one place ([`scenario_of`]): a description's
//! `[server]` table maps to a built-in scenario, or is refused with the shapes the model has.

use crate::com::config::{MAX_APARTMENTS, MAX_CLASSES};
use crate::com::scenario::Scenario;
use crate::description::format::{at, ApartmentKind, Lifetime, Server, ServerKind, Threading};
use std::ops::Range;

/// The server shape the model has for a description's `[server]` table: the scenario, or why
/// not, naming the shapes the model has. Every shape the model knows is decided here, so
/// supporting a new one is one arm more.
///
/// # Errors
/// The span of the value that makes the shape one the model does not have, and a message.
pub fn scenario_of(server: &Server) -> Result<Scenario, (Range<usize>, String)> {
    let kind = *server.kind.get_ref();
    let user = server.user.as_ref().is_some_and(|u| *u.get_ref());
    let kinds: Vec<ApartmentKind> = server
        .apartments
        .iter()
        .map(|a| *a.kind.get_ref())
        .collect();
    let classes = server.classes.len();
    // Where to point when the apartments are wrong: the first apartment, else the kind.
    let apartments_at = server
        .apartments
        .first()
        .map_or(server.kind.span(), |a| a.kind.span());
    match kind {
        ServerKind::Dll => {
            if let Some(a) = server.apartments.first() {
                return Err(at(
                    &a.kind,
                    "a DLL has no apartments of its own: its objects live in its client's \
                     (the model's client process has an STA thread and two MTA threads, and the \
                     DLL is Both-threaded); remove [[server.apartments]]",
                ));
            }
            if classes != 1 {
                return Err(at(
                    &server.kind,
                    format!("the model supports a DLL with exactly one class, not {classes}"),
                ));
            }
            Ok(Scenario::Inproc)
        }
        ServerKind::Service => {
            if classes == 2 && kinds == [ApartmentKind::Mta] {
                Ok(Scenario::Service)
            } else {
                Err((
                    apartments_at,
                    format!(
                        "the model supports a service host with two services' classes (the \
                         first is service A's, which is stopped) registered from one MTA (the \
                         host's RPC threads); this one has {classes} classes and apartments [{}]",
                        kinds
                            .iter()
                            .map(|k| k.name())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ))
            }
        }
        ServerKind::Exe => {
            let lifetime = server.lifetime.as_ref().ok_or_else(|| {
                at(
                    &server.kind,
                    format!(
                        "an EXE server needs `lifetime`; valid choices: {}",
                        Lifetime::valid()
                    ),
                )
            })?;
            let threading = server
                .threading
                .as_ref()
                .map_or(Threading::Apartment, |t| *t.get_ref());
            let lt = *lifetime.get_ref();
            if threading == Threading::Free
                && !matches!(
                    lt,
                    Lifetime::Textbook | Lifetime::Atl9 | Lifetime::Atl14 | Lifetime::Wrl
                )
            {
                return Err(at(
                    server.threading.as_ref().expect("free was written"),
                    format!(
                        "lifetime \"{}\" has no free-threaded build in the model; valid choices \
                         for threading = \"free\": lifetime \"textbook\" (003), \"atl9\", \
                         \"atl14\", \"wrl\" (spec/frameworks.md §1, §7); otherwise threading = \
                         \"apartment\"",
                        lt.name()
                    ),
                ));
            }
            if lt == Lifetime::Wrl && threading == Threading::Apartment {
                let msg =
                    "lifetime \"wrl\" is modeled with its main thread in the MTA, as its users \
                     register (Chrome's notification_helper, OpenConsole: spec/frameworks.md §7); \
                     valid choices: threading = \"free\" with one apartment of kind \"mta\"";
                return Err(match server.threading.as_ref() {
                    Some(t) => at(t, msg),
                    None => at(lifetime, msg),
                });
            }
            let want = match threading {
                Threading::Apartment => ApartmentKind::Sta,
                Threading::Free => ApartmentKind::Mta,
            };
            if let Some(a) = server.apartments.iter().find(|a| *a.kind.get_ref() != want) {
                return Err(at(
                    &a.kind,
                    format!(
                        "threading = \"{}\" registers classes from {} only; valid choices: \"{}\"",
                        threading.name(),
                        if want == ApartmentKind::Sta {
                            "STAs (an apartment build)"
                        } else {
                            "the MTA (the main thread of a free-threaded build)"
                        },
                        want.name()
                    ),
                ));
            }
            if user
                && !(matches!(lt, Lifetime::Textbook | Lifetime::Mfc | Lifetime::Wtl)
                    && kinds.len() == 1
                    && threading == Threading::Apartment)
            {
                return Err(at(
                    server.user.as_ref().expect("user was written"),
                    "an interactive user is modeled for the textbook EXE with one STA (seed \
                     002, R-002-USER-CONTROL), MFC (the user takes control, R-MFC-CLOSE) and \
                     WTL (the user starts the program, R-WTL-USER-START); ATL's EXE module has \
                     no user interface of its own; valid choices here: false",
                ));
            }
            let shape_error = |what: &str| {
                (
                    apartments_at.clone(),
                    format!(
                        "the model supports, for lifetime \"{}\": {what}; this one has {} \
                         apartment(s) and {classes} class(es)",
                        lt.name(),
                        kinds.len()
                    ),
                )
            };
            let one_apartment = kinds.len() == 1 && classes <= MAX_CLASSES;
            match (lt, threading) {
                (Lifetime::Textbook, Threading::Free) => {
                    if one_apartment {
                        // The textbook server in the MTA: local-multi-sta's code with one
                        // apartment, the MTA (Layout::free; model/description/validate.rs).
                        Ok(Scenario::LocalMultiSta)
                    } else {
                        Err(shape_error(&format!(
                            "with threading = \"free\", one apartment (the MTA) registering 1 \
                             to {MAX_CLASSES} classes"
                        )))
                    }
                }
                (Lifetime::Textbook, Threading::Apartment) => {
                    if one_apartment && user {
                        Ok(Scenario::LocalSta)
                    } else if (1..=MAX_APARTMENTS).contains(&kinds.len())
                        && classes <= MAX_CLASSES
                        && !user
                    {
                        // The textbook server without a user, with one or two STAs (local-multi-sta
                        // is its two-STA instance).
                        Ok(Scenario::LocalMultiSta)
                    } else {
                        Err(shape_error(&format!(
                            "one STA and `user = true` (local-sta), or 1 to {MAX_APARTMENTS} STAs                              without a user (local-multi-sta), with 1 to {MAX_CLASSES} classes"
                        )))
                    }
                }
                (_, _) if !one_apartment => Err(shape_error(&format!(
                    "one apartment (an STA, or the MTA with threading = \"free\") registering \
                     1 to {MAX_CLASSES} classes (the framework's main thread registers them all)"
                ))),
                (Lifetime::Atl9, Threading::Apartment) => Ok(Scenario::Atl9Sta),
                (Lifetime::Atl9, Threading::Free) => Ok(Scenario::Atl9Mta),
                (Lifetime::Atl14, Threading::Apartment) => Ok(Scenario::Atl14Sta),
                (Lifetime::Atl14, Threading::Free) => Ok(Scenario::Atl14Mta),
                (Lifetime::Wtl, _) => Ok(Scenario::WtlSta),
                (Lifetime::Mfc, _) => Ok(Scenario::MfcSta),
                (Lifetime::Wrl, _) => Ok(Scenario::WrlMta),
            }
        }
    }
}
