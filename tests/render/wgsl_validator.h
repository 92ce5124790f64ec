// Checks WGSL with Dawn's compiler (Tint), as WebGPU would when it creates a compute pipeline: the
// Dawn library (make deps: npm bun-webgpu-linux-x64, third_party/dawn) is loaded at run time and asked
// for its Null backend, which validates shaders without a GPU.
#pragma once
#include <memory>
#include <string>

namespace anneal::testing {

class WgslValidator {
 public:
  // Loads `library`; std::runtime_error says why when it cannot.
  explicit WgslValidator(const std::string& library);
  ~WgslValidator();
  // "" when `code` is a valid module whose entry point `entry` makes a compute pipeline; else the
  // compiler's messages.
  std::string check(const std::string& code, const std::string& entry) const;

 private:
  struct State;
  std::unique_ptr<State> s_;
};

}  // namespace anneal::testing
