#!/bin/sh
# Run ON THE GPU MACHINE (`run` with carry ["devpack", "third_party/dawn/lib"]): builds the CLI and the
# device suites, prints `anneal doctor`, runs each suite with ANNEAL_DEVICE=WEBGPU (logs under $OUT),
# trains the MLP on WEBGPU, then W1 fp32 and W2 on WEBGPU and CUDA alternately, twice, with the
# PyTorch peers. WebGPU there needs NVIDIA's Vulkan driver in the container (libGLX_nvidia with its
# Vulkan entry points) and the loader from devpack (libvulkan1).
set -u
export LD_LIBRARY_PATH=$PWD/devpack/root/usr/lib/x86_64-linux-gnu
s=$(date +%s)
bench/device/build.sh . build-gpu anneal_exe test_tensor test_nn test_runtime test_codegen test_parity test_io test_concurrency > $OUT/build.log 2>&1 || { tail -30 $OUT/build.log; exit 1; }
echo "build $(( $(date +%s) - s )) s"
./build-gpu/anneal doctor 2>&1 | tee $OUT/doctor.txt
for t in test_tensor test_nn test_runtime test_codegen test_parity test_io test_concurrency; do
  s=$(date +%s)
  ANNEAL_DEVICE=WEBGPU timeout 300 ./build-gpu/tests/$t > $OUT/wg_$t.log 2>&1
  echo "$t WEBGPU rc=$? $(( $(date +%s) - s )) s: $(grep -E '^\[  (PASSED|FAILED|SKIPPED) ' $OUT/wg_$t.log | tr '\n' ' ')"
done
( time ./build-gpu/anneal train mlp --device WEBGPU --plain ) > $OUT/train_mlp_webgpu.txt 2>&1; tail -8 $OUT/train_mlp_webgpu.txt
for r in 1 2; do
  for d in WEBGPU CUDA; do echo "$d w1 f32: $(ANNEAL_DEVICE=$d timeout 120 ./build-gpu/anneal bench w1 --json 2>&1 | tr -d '\n')"; done
done
python3 bench/peers/w1_matmul_torch_cuda.py 2>&1 | head -1
python3 bench/peers/w1_matmul_torch_cuda.py 2>&1 | head -1
for r in 1 2; do
  for d in WEBGPU CUDA; do echo "$d w2: $(ANNEAL_DEVICE=$d timeout 120 ./build-gpu/anneal bench w2 --json 2>&1 | tr -d '\n')"; done
done
python3 bench/peers/w2_mlp_step_torch.py cuda 2>&1 | tail -1
python3 bench/peers/w2_mlp_step_torch.py cuda 2>&1 | tail -1
