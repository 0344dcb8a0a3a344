//! `#[taskio::main]` and `#[taskio::test]`: the attribute macros a tokio user knows, for taskio.
//!
//! An `async fn` marked with one of them becomes a plain `fn` that runs its body with
//! [`taskio::Runner`](https://docs.rs/taskio/latest/taskio/struct.Runner.html): the body is a
//! taskio task named `main` (so `taskio::current()`, cancellation, `tree()` and the unread-failure
//! reports all work from the first line), and when it returns, run's shutdown cancels the tasks
//! it left running and waits for their cleanup. Use them through the `taskio` crate (its default
//! feature `macros`), not from this crate.
//!
//! Options, as tokio's: `flavor = "current_thread"` (the default) or `"multi_thread"`,
//! `worker_threads = N` (multi-thread only), `start_paused = true` (current-thread only, and
//! taskio's feature `test-util`: tokio's paused clock).
//!
//! The function may return nothing, `taskio::Result<T>`, `anyhow::Result<T>` (taskio's feature
//! `anyhow`) or `Result<T, Box<dyn std::error::Error + Send + Sync>>`: the body's error becomes the
//! task's and comes back out as the declared type, downcasts kept.

use proc_macro::TokenStream;
use proc_macro2::{Span, TokenStream as TokenStream2, TokenTree};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

/// Runs an `async fn` as taskio's `main` task: `#[tokio::main]` for taskio.
///
/// The function body runs as a task named `main` on the runtime [`taskio::Runner`] builds
/// (current-thread by default, as `taskio::run`), and when it returns, the tasks it left
/// running are cancelled and their cleanup awaited.
///
/// ```
/// use std::time::Duration;
///
/// #[taskio::main]
/// async fn main() -> taskio::Result<()> {
///     assert_eq!(taskio::current().unwrap().name(), "main");
///     let task = taskio::task().name("worker").spawn(async {
///         taskio::sleep(Duration::from_millis(1)).await?;
///         taskio::Ok(2)
///     });
///     assert_eq!(task.await?, 2);
///     Ok(())
/// }
/// ```
///
/// The multi-thread runtime, and a `main` that returns an `anyhow::Result` (taskio's feature
/// `anyhow`); any function can carry the attribute, not only `main`:
///
/// ```
/// #[taskio::main(flavor = "multi_thread", worker_threads = 2)]
/// async fn program() -> anyhow::Result<usize> {
///     let handle = tokio::runtime::Handle::current();
///     assert_eq!(handle.metrics().num_workers(), 2);
///     let err = taskio::task()
///         .name("config")
///         .spawn(async { Err::<(), _>(taskio::Error::msg("no config")) })
///         .await
///         .unwrap_err();
///     Err(err)? // taskio into anyhow, as the return type says
/// }
///
/// fn main() {
///     let err = program().unwrap_err();
///     assert_eq!(format!("{err:#}"), "task 'config' failed: no config");
///     assert_eq!(err.downcast_ref::<taskio::Error>().unwrap().task_name(), Some("config"));
/// }
/// ```
///
/// [`taskio::Runner`]: https://docs.rs/taskio/latest/taskio/struct.Runner.html
#[proc_macro_attribute]
pub fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    expand(args.into(), item.into(), Kind::Main)
        .unwrap_or_else(|e| e.to_compile_error())
        .into()
}

/// Runs an `async fn` test as taskio's `main` task: `#[tokio::test]` for taskio.
///
/// As [`macro@main`], with a `#[test]` attribute. `start_paused = true` runs it on tokio's paused
/// clock (taskio's feature `test-util`, usually in `[dev-dependencies]`), so timed tests are exact.
///
/// ```
/// use std::time::Duration;
///
/// #[taskio::test(start_paused = true)]
/// async fn a_timeout_fires_at_its_deadline() -> taskio::Result<()> {
///     let start = tokio::time::Instant::now();
///     let late = taskio::timeout(Duration::from_secs(5), taskio::sleep(Duration::from_secs(60)));
///     assert!(late.await.unwrap_err().is_timed_out());
///     assert_eq!(start.elapsed(), Duration::from_secs(5)); // exact: the clock is paused
///     Ok(())
/// }
///
/// #[taskio::test(flavor = "multi_thread", worker_threads = 2)]
/// async fn runs_on_two_workers() {
///     assert_eq!(tokio::runtime::Handle::current().metrics().num_workers(), 2);
/// }
/// # fn main() {} // (a `#[test]` runs under `cargo test`, not in a doctest's main)
/// ```
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    expand(args.into(), item.into(), Kind::Test)
        .unwrap_or_else(|e| e.to_compile_error())
        .into()
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Main,
    Test,
}

/// The attribute's options.
#[derive(Default)]
struct Options {
    multi_thread: bool,
    worker_threads: Option<(usize, Span)>,
    start_paused: Option<(bool, Span)>,
}

fn expand(args: TokenStream2, item: TokenStream2, kind: Kind) -> syn::Result<TokenStream2> {
    let options = parse_options(args)?;
    let function: syn::ItemFn = syn::parse2(item)?;
    let sig = &function.sig;
    if sig.asyncness.is_none() {
        return Err(syn::Error::new(
            sig.fn_token.span(),
            "taskio: the function needs to be `async`",
        ));
    }
    if !sig.inputs.is_empty() {
        return Err(syn::Error::new(
            sig.inputs.span(),
            "taskio: the function cannot take arguments",
        ));
    }
    if !sig.generics.params.is_empty() {
        return Err(syn::Error::new(
            sig.generics.span(),
            "taskio: the function cannot be generic",
        ));
    }

    let mut runner = quote! { ::taskio::Runner::new() };
    if options.multi_thread {
        runner = quote! { #runner.multi_thread() };
    }
    if let Some((n, span)) = options.worker_threads {
        runner = quote_spanned! {span=> #runner.worker_threads(#n) };
    }
    if let Some((paused, span)) = options.start_paused {
        runner = quote_spanned! {span=> #runner.start_paused(#paused) };
    }

    let attrs = &function.attrs;
    let vis = &function.vis;
    let ident = &sig.ident;
    let body = &function.block;
    let unit = match &sig.output {
        syn::ReturnType::Default => true,
        syn::ReturnType::Type(_, ty) => matches!(&**ty, syn::Type::Tuple(t) if t.elems.is_empty()),
    };
    let output = &sig.output;
    let returns = match &sig.output {
        syn::ReturnType::Default => quote! { () },
        syn::ReturnType::Type(_, ty) => quote! { #ty },
    };
    let finish = if unit {
        quote! { ::taskio::__private::main_unit(__outcome) }
    } else {
        quote! { ::taskio::__private::main_result(__outcome) }
    };
    let test_attr = match kind {
        Kind::Test => quote! { #[::core::prelude::v1::test] },
        Kind::Main => quote! {},
    };
    Ok(quote! {
        #test_attr
        #(#attrs)*
        #vis fn #ident() #output {
            // The body's value is the declared type (for `Ok(())` and `?` inside it).
            let __body = ::taskio::__private::main_body::<#returns, _>(async move #body);
            let __outcome = #runner.run(async move {
                #[allow(unused_imports)]
                use ::taskio::__private::{MainOutputPlain as _, MainOutputSpecial as _};
                let __returned = __body.await;
                (&&::taskio::__private::MainOutput::new(__returned)).into_task_output()
            });
            #finish
        }
    })
}

/// `key = value, ...` with the keys tokio's attributes take.
fn parse_options(args: TokenStream2) -> syn::Result<Options> {
    let mut options = Options::default();
    let mut flavor_span = None;
    let tokens: Vec<TokenTree> = args.into_iter().collect();
    for part in tokens.split(|t| matches!(t, TokenTree::Punct(p) if p.as_char() == ',')) {
        let (key, value) = match part {
            [] => continue,
            [TokenTree::Ident(key), TokenTree::Punct(eq), value] if eq.as_char() == '=' => {
                (key, value)
            }
            other => {
                let span = other.first().map_or_else(Span::call_site, TokenTree::span);
                return Err(syn::Error::new(
                    span,
                    "taskio: expected `key = value` (flavor, worker_threads, start_paused)",
                ));
            }
        };
        let text = value.to_string();
        match key.to_string().as_str() {
            "flavor" => {
                flavor_span = Some(value.span());
                options.multi_thread = match text.trim_matches('"') {
                    "multi_thread" => true,
                    "current_thread" => false,
                    _ => {
                        return Err(syn::Error::new(
                            value.span(),
                            "taskio: flavor is \"current_thread\" or \"multi_thread\"",
                        ));
                    }
                };
            }
            "worker_threads" => match text.replace('_', "").parse::<usize>() {
                Ok(n) if n > 0 => options.worker_threads = Some((n, value.span())),
                _ => {
                    return Err(syn::Error::new(
                        value.span(),
                        "taskio: worker_threads is a number above 0",
                    ));
                }
            },
            "start_paused" => match text.as_str() {
                "true" => options.start_paused = Some((true, value.span())),
                "false" => options.start_paused = Some((false, value.span())),
                _ => {
                    return Err(syn::Error::new(
                        value.span(),
                        "taskio: start_paused is `true` or `false`",
                    ));
                }
            },
            other => {
                return Err(syn::Error::new(
                    key.span(),
                    format!(
                        "taskio: unknown option `{other}` (flavor, worker_threads, start_paused)"
                    ),
                ));
            }
        }
    }
    if let Some((_, span)) = options.worker_threads
        && !options.multi_thread
    {
        return Err(syn::Error::new(
            span,
            "taskio: worker_threads needs flavor = \"multi_thread\"",
        ));
    }
    if let Some((true, span)) = options.start_paused
        && options.multi_thread
    {
        return Err(syn::Error::new(
            flavor_span.unwrap_or(span),
            "taskio: start_paused needs the current_thread flavor (as tokio's)",
        ));
    }
    Ok(options)
}
