//! The GPU a viewer draws with: instance, adapter, device and queue together ([`Gpu`]), and which backend they
//! run on ([`GpuBackend`]: "webgpu", "webgl2", "vulkan", …) so the UI can show it and tests can assert it. A
//! [`Gpu`] can also be assembled from a device created elsewhere (burn's wgpu setup) so rendering and inference
//! share one device. Natively, `Gpu::headless` opens an adapter without any window (tests, offscreen renders).
//! This module must not draw nor touch canvases (see `web`).

use crate::error::*;
use snafu::ResultExt;

/// The graphics API under a [`Gpu`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GpuBackend {
    /// The browser's WebGPU (`navigator.gpu`).
    WebGpu,
    /// WebGL2 in the browser (wgpu's GL backend on a canvas).
    WebGl2,
    /// Vulkan (native).
    Vulkan,
    /// OpenGL / OpenGL ES (native).
    Gl,
    /// Metal (native).
    Metal,
    /// Direct3D 12 (native).
    Dx12,
    /// wgpu's no-op backend.
    Noop,
}

impl GpuBackend {
    /// The backend of an adapter.
    pub fn of(info: &wgpu::AdapterInfo) -> Self {
        match info.backend {
            wgpu::Backend::BrowserWebGpu => GpuBackend::WebGpu,
            wgpu::Backend::Gl if cfg!(target_arch = "wasm32") => GpuBackend::WebGl2,
            wgpu::Backend::Gl => GpuBackend::Gl,
            wgpu::Backend::Vulkan => GpuBackend::Vulkan,
            wgpu::Backend::Metal => GpuBackend::Metal,
            wgpu::Backend::Dx12 => GpuBackend::Dx12,
            wgpu::Backend::Noop => GpuBackend::Noop,
        }
    }

    /// Short lowercase name for the UI and tests: "webgpu", "webgl2", "vulkan", "gl", "metal", "dx12", "noop".
    pub fn as_str(self) -> &'static str {
        match self {
            GpuBackend::WebGpu => "webgpu",
            GpuBackend::WebGl2 => "webgl2",
            GpuBackend::Vulkan => "vulkan",
            GpuBackend::Gl => "gl",
            GpuBackend::Metal => "metal",
            GpuBackend::Dx12 => "dx12",
            GpuBackend::Noop => "noop",
        }
    }
}

impl std::fmt::Display for GpuBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One GPU device and what it came from. Cheap to clone (wgpu handles are reference counted).
#[derive(Debug, Clone)]
pub struct Gpu {
    /// The wgpu instance (needed to create more surfaces).
    pub instance: wgpu::Instance,
    /// The adapter the device was opened on.
    pub adapter: wgpu::Adapter,
    /// The device: share it with every viewport (and with burn).
    pub device: wgpu::Device,
    /// The device's queue.
    pub queue: wgpu::Queue,
    /// Which API is in use.
    pub backend: GpuBackend,
}

impl Gpu {
    /// Assemble from parts created elsewhere (e.g. burn's `WgpuSetup`), so one device serves everything.
    pub fn from_parts(
        instance: wgpu::Instance,
        adapter: wgpu::Adapter,
        device: wgpu::Device,
        queue: wgpu::Queue,
    ) -> Self {
        let backend = GpuBackend::of(&adapter.get_info());
        Gpu {
            instance,
            adapter,
            device,
            queue,
            backend,
        }
    }

    /// Open a device on `adapter` with the best limits it offers (large images need large textures) and no
    /// optional features.
    pub async fn open(instance: wgpu::Instance, adapter: wgpu::Adapter) -> Result<Self> {
        let info = adapter.get_info();
        let (device, queue) = adapter
            .request_device(&wgpu::DeviceDescriptor {
                label: Some("lumen"),
                required_features: wgpu::Features::empty(),
                required_limits: adapter.limits(),
                ..Default::default()
            })
            .await
            .context(RequestDeviceSnafu {
                adapter: info.name.clone(),
            })?;
        Ok(Gpu::from_parts(instance, adapter, device, queue))
    }

    /// A native device without any window: Vulkan (a GPU driver, or Mesa's lavapipe on machines without one).
    /// `WGPU_BACKEND` (e.g. `vulkan`) restricts the backends; `WGPU_POWER_PREF` (`low`/`high`) picks among
    /// several adapters.
    #[cfg(not(target_arch = "wasm32"))]
    pub async fn headless() -> Result<Self> {
        let mut desc = wgpu::InstanceDescriptor::new_without_display_handle();
        desc.backends = wgpu::Backends::from_env().unwrap_or(wgpu::Backends::VULKAN);
        let instance = wgpu::Instance::new(desc);
        let adapter = instance
            .request_adapter(&wgpu::RequestAdapterOptions {
                power_preference: wgpu::PowerPreference::from_env().unwrap_or_default(),
                ..Default::default()
            })
            .await
            .context(NoAdapterSnafu {
                backends: format!("{:?}", wgpu::Instance::enabled_backend_features()),
            })?;
        Gpu::open(instance, adapter).await
    }

    /// Adapter name and driver, for logs and the about box.
    pub fn describe(&self) -> String {
        let info = self.adapter.get_info();
        format!(
            "{} ({}, {} {})",
            info.name, self.backend, info.driver, info.driver_info
        )
        .trim()
        .to_string()
    }
}
