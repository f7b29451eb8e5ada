//! How a Rust function becomes the body of a script function: its
//! arguments are read out of Rhai's argument list ([`Arg`]) and the function
//! is turned into one calling convention ([`Erased`]) that the registration
//! in `api.rs` wraps for the global form and the host form alike.

use std::any::TypeId;
use std::sync::Arc;

use rhai::{Array, Dynamic, FnPtr, ImmutableString, Map, Variant};

use super::api::Call;
use super::capture::CaptureHandle;
use super::error::ScriptResult;
use super::handles::{ContainerHandle, NetworkHandle};
use super::hosts::HostHandle;
use super::service::ServiceHandle;

/// Rhai's argument list, as a native function receives it.
pub(crate) type Args<'a, 'b> = &'a mut [&'b mut Dynamic];

/// A type a body can take as an argument.
///
/// `Dynamic` takes anything (the body checks it and says what it wanted);
/// the others make Rhai pick the function only for that type, which is how
/// overloads such as `sleep(int)` and `sleep(float)` differ. `Option<T>`
/// and `Dynamic` may stand for a parameter the caller leaves out
/// (`"[opts: Map]"`): `None` and `()` then.
pub(crate) trait Arg: Sized + 'static {
    /// The type Rhai matches the argument against (`Dynamic`: any).
    fn rhai_type() -> TypeId;
    /// The value of a parameter the caller left out, if it may be left out.
    fn absent() -> Option<Self> {
        None
    }
    /// The argument, taken out of Rhai's list (`None`: not this type).
    fn take(value: &mut Dynamic) -> Option<Self>;
}

impl Arg for Dynamic {
    fn rhai_type() -> TypeId {
        TypeId::of::<Dynamic>()
    }
    fn absent() -> Option<Self> {
        Some(Dynamic::UNIT)
    }
    fn take(value: &mut Dynamic) -> Option<Self> {
        Some(std::mem::take(value).flatten())
    }
}

impl Arg for String {
    fn rhai_type() -> TypeId {
        TypeId::of::<ImmutableString>()
    }
    fn take(value: &mut Dynamic) -> Option<Self> {
        std::mem::take(value).flatten().into_string().ok()
    }
}

impl<T: Arg> Arg for Option<T> {
    fn rhai_type() -> TypeId {
        T::rhai_type()
    }
    fn absent() -> Option<Self> {
        Some(None)
    }
    fn take(value: &mut Dynamic) -> Option<Self> {
        T::take(value).map(Some)
    }
}

/// Types Rhai keeps as they are.
macro_rules! plain_args {
    ($($t:ty),*) => {$(
        impl Arg for $t {
            fn rhai_type() -> TypeId {
                TypeId::of::<$t>()
            }
            fn take(value: &mut Dynamic) -> Option<Self> {
                std::mem::take(value).flatten().try_cast::<$t>()
            }
        }
    )*};
}

plain_args!(
    i64,
    f64,
    bool,
    ImmutableString,
    Array,
    Map,
    FnPtr,
    ContainerHandle,
    NetworkHandle,
    ServiceHandle,
    HostHandle,
    CaptureHandle
);

/// One parameter as Rhai sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ArgType {
    /// What Rhai matches the argument against.
    pub(crate) rhai_type: TypeId,
    /// The parameter may be left out.
    pub(crate) may_be_absent: bool,
}

impl ArgType {
    fn of<A: Arg>() -> Self {
        ArgType {
            rhai_type: A::rhai_type(),
            may_be_absent: A::absent().is_some(),
        }
    }
}

/// The one calling convention every body is turned into.
pub(crate) type ErasedFn = dyn Fn(&Call<'_>, Args<'_, '_>) -> ScriptResult<Dynamic> + Send + Sync;

/// A body, ready to be registered: its parameters and how to call it.
#[derive(Clone)]
pub(crate) struct Erased {
    /// The parameters, in order.
    pub(crate) args: Vec<ArgType>,
    /// The first parameter is `&mut`: the function changes the caller's value
    /// (only `clear(String)`, which keeps Rhai's own string method working).
    pub(crate) by_ref: bool,
    /// Reads the arguments and calls the body.
    pub(crate) call: Arc<ErasedFn>,
}

/// A Rust function that can be a script function's body:
/// `fn(&Call, A, B, …) -> ScriptResult<R>` with up to six [`Arg`]s, or with a
/// `&mut` first parameter. `M` only tells the implementations apart.
pub(crate) trait Body<M>: Send + Sync + 'static {
    /// The body in the one calling convention.
    fn erase(self) -> Erased;
}

/// Marks a `&mut` first parameter in [`Body`]'s `M`.
pub(crate) struct ByRef<T>(T);

/// The next argument, or the value of a parameter the caller left out.
fn take<A: Arg>(cx: &Call<'_>, arg: Option<&mut &mut Dynamic>) -> ScriptResult<A> {
    match arg {
        Some(value) => A::take(value),
        None => A::absent(),
    }
    .ok_or_else(|| cx.invalid("an argument has an unexpected type"))
}

macro_rules! bodies {
    ($($a:ident: $A:ident),*) => {
        impl<F, R, $($A: Arg),*> Body<(R, $($A,)*)> for F
        where
            F: Fn(&Call<'_>, $($A),*) -> ScriptResult<R> + Send + Sync + 'static,
            R: Variant + Clone,
        {
            fn erase(self) -> Erased {
                let call: Arc<ErasedFn> = Arc::new(move |cx: &Call<'_>, args: Args<'_, '_>| {
                    let mut _args = args.iter_mut();
                    $(let $a = take::<$A>(cx, _args.next())?;)*
                    self(cx, $($a),*).map(Dynamic::from)
                });
                Erased {
                    args: vec![$(ArgType::of::<$A>()),*],
                    by_ref: false,
                    call,
                }
            }
        }

        impl<F, R, T: Variant + Clone, $($A: Arg),*> Body<(R, ByRef<T>, $($A,)*)> for F
        where
            F: Fn(&Call<'_>, &mut T, $($A),*) -> ScriptResult<R> + Send + Sync + 'static,
            R: Variant + Clone,
        {
            fn erase(self) -> Erased {
                let call: Arc<ErasedFn> = Arc::new(move |cx: &Call<'_>, args: Args<'_, '_>| {
                    let Some((first, rest)) = args.split_first_mut() else {
                        return Err(cx.invalid("an argument is missing"));
                    };
                    let mut _rest = rest.iter_mut();
                    $(let $a = take::<$A>(cx, _rest.next())?;)*
                    let mut this = first
                        .write_lock::<T>()
                        .ok_or_else(|| cx.invalid("argument 1 has an unexpected type"))?;
                    self(cx, &mut *this, $($a),*).map(Dynamic::from)
                });
                let first = ArgType {
                    rhai_type: TypeId::of::<T>(),
                    may_be_absent: false,
                };
                Erased {
                    args: vec![first, $(ArgType::of::<$A>()),*],
                    by_ref: true,
                    call,
                }
            }
        }
    };
}

bodies!();
bodies!(a: A);
bodies!(a: A, b: B);
bodies!(a: A, b: B, c: C);
bodies!(a: A, b: B, c: C, d: D);
bodies!(a: A, b: B, c: C, d: D, e: E);
bodies!(a: A, b: B, c: C, d: D, e: E, f: G);
