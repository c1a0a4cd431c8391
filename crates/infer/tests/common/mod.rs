//! What the integration tests share.

/// Polls a future to the end on this thread: burn Flex's asynchronous read-back is ready at once, so the async
/// (browser) paths can be run natively.
pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
}
