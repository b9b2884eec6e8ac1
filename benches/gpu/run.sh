#!/usr/bin/env bash
# Measure diffusion-playground on a machine with an NVIDIA GPU, in one go (under 8 minutes).
#
#   benches/gpu/run.sh --pack [DIR]   here, with Rust and network: build the release binary
#                                     (with SPIR-V on Vulkan: --features spirv) and
#                                     write DIR (default benches/gpu/pack, git-ignored) with the
#                                     binaries (stripped, xz), the Vulkan loader packages for
#                                     Debian/Ubuntu amd64 and the PyTorch reference script
#   benches/gpu/run.sh [DIR] [OUT]    there (no Rust, no network, Python with PyTorch+CUDA):
#                                     unpack DIR, print the adapter wgpu picks, run (SPIR-V build)
#                                     `bench --device gpu --json` (PyTorch on cuda in the same
#                                     run), then `train` on builtin:shapes at 32×32 from scratch
#                                     for 2 minutes with sample grids at 30, 60 and 120 s.
#                                     Everything goes to OUT (default gpu-bench-<date>).
#
# Without a GPU the run mode still works: wgpu falls back to a software adapter (lavapipe),
# the script says so, and it runs a reduced check (a software adapter is far too slow for the
# full benchmark).
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"

if [ "${1:-}" = "--pack" ]; then
  set -e
  pack="${2:-$here/pack}"
  mkdir -p "$pack/debs"
  target="${CARGO_TARGET_DIR:-$repo/target}"
  # Two builds: SPIR-V on Vulkan (cooperative-matrix kernels) for the GPU figures, and the
  # default WGSL build, which also runs on a software adapter (the fallback without a GPU).
  for variant in wgsl spirv; do
    features=""; [ "$variant" = spirv ] && features="--features spirv"
    (cd "$repo" && cargo build --release $features --bin diffusion-playground)
    cp "$target/release/diffusion-playground" "$pack/diffusion-playground-$variant"
    strip "$pack/diffusion-playground-$variant"
    rm -f "$pack/diffusion-playground-$variant.xz"
    xz -T0 -6 "$pack/diffusion-playground-$variant"
  done
  cp "$repo/benches/reference/unet_reference.py" "$pack/"
  # The Vulkan loader (libvulkan1) and the glvnd/EGL libraries NVIDIA's Vulkan ICD needs.
  o="-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/dp-apt-lists"
  mkdir -p /tmp/dp-apt-lists/partial
  apt-get $o update -qq
  (cd "$pack/debs" && rm -f ./*.deb && apt-get $o download libvulkan1 libegl1 libglvnd0)
  (cd "$repo" && git rev-parse HEAD) > "$pack/commit.txt"
  du -sh "$pack"
  ls -l "$pack" "$pack/debs"
  exit 0
fi

pack="${1:-$here/pack}"
out="${2:-gpu-bench-$(date -u +%Y%m%d-%H%M%S)}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
log="$out/run.log"
exec > >(tee -a "$log") 2>&1
echo "# diffusion-playground GPU run, $(date -u), commit $(cat "$pack/commit.txt" 2>/dev/null)"

work="$(mktemp -d)"
for variant in wgsl spirv; do
  xz -dc "$pack/diffusion-playground-$variant.xz" > "$work/diffusion-playground-$variant" \
    || { echo "no $variant binary in $pack (run --pack first)"; exit 2; }
  chmod +x "$work/diffusion-playground-$variant"
done
bin="$work/diffusion-playground-spirv"

# Vulkan loader: install the carried packages if the system has none.
if ! ldconfig -p | grep -q 'libvulkan\.so\.1'; then
  if [ "$(id -u)" = 0 ]; then
    for f in "$pack"/debs/*.deb; do dpkg -x "$f" /; done
    ldconfig
  else
    for f in "$pack"/debs/*.deb; do dpkg -x "$f" "$work/root"; done
    export LD_LIBRARY_PATH="$work/root/usr/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}"
  fi
  echo "installed the Vulkan loader from $pack/debs"
fi
# NVIDIA's ICD where containers put it when the loader does not find it.
icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -f "$icd" ] && ! ls /usr/share/vulkan/icd.d/nvidia* /etc/vulkan/icd.d/nvidia* >/dev/null 2>&1; then
  export VK_DRIVER_FILES="$icd"
  export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
  echo "VK_DRIVER_FILES=$icd"
fi

{
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv 2>/dev/null \
    || echo "nvidia-smi: not found"
  python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else "")' 2>&1
  nproc
} | tee "$out/machine.txt"

# The GPU tuning cache of this run stays with its results.
export XDG_CACHE_HOME="$out/cache"
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$work}"

# Which adapter wgpu's runtime opens (one training step on a tiny model prints it), asked of
# the WGSL build, which any adapter can run.
"$work/diffusion-playground-wgsl" train --data builtin:shapes --steps 1 --size 16 --base-channels 8 --batch 2 \
  --device gpu --save-every 0 --out "$work/probe" 2>&1 | grep '^device:' | tee "$out/adapter.txt"
if grep -qiE 'llvmpipe|lavapipe|software|swiftshader|CPU \(flex\)' "$out/adapter.txt"; then
  mkdir -p "$out/train"
  echo "NO GPU: wgpu has only a software adapter (or none) here, far too slow for the full"
  echo "benchmark; running a reduced check with the WGSL build (a small model trained on it"
  echo "for 20 s, with samples). The SPIR-V build refuses software adapters and uses the CPU."
  timeout 300 "$work/diffusion-playground-wgsl" train --data builtin:shapes --size 16 --base-channels 16 --batch 8 \
    --device gpu --seconds 20 --sample-at 10,20 --save-every 0 --out "$out/train" \
    --metrics "$out/train/metrics.csv" || echo "train failed"
  echo "done (software adapter): $out"
  exit 0
fi

echo "## bench --device gpu (PyTorch on cuda in the same run)"
timeout 270 "$bin" bench --device gpu --json --repeats 5 --ddpm-steps 100 --frames 300 \
  --reference "$pack/unet_reference.py" > "$out/bench.json" 2> "$out/bench.err" \
  || echo "bench failed or timed out (see bench.err)"
tail -5 "$out/bench.err"

echo "## train builtin:shapes 32×32 from scratch, 2 minutes, samples at 30/60/120 s"
mkdir -p "$out/train"
timeout 170 "$bin" train --data builtin:shapes --size 32 --batch 32 --device gpu \
  --seconds 120 --sample-at 30,60,120 --save-every 0 --out "$out/train" \
  --metrics "$out/train/metrics.csv" 2>&1 | tr '\r' '\n' | grep -v '^ *$' | tail -8
ls -l "$out" "$out/train"
echo "done: $out"
