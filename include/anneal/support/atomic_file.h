// Files that are either wholly old or wholly new: checkpoints, cache entries, downloads.
//
// write_file_atomically writes beside the target under a temporary name that carries the writer's
// pid (`<target>.tmp.<pid>.<n>`), flushes it to disk, renames it over the target and syncs the
// folder. A process killed meanwhile leaves the old file and an orphaned temporary, which the next
// write into that folder removes (only temporaries whose process no longer exists).
#pragma once
#include <string>

#include "anneal/support/function_ref.h"

namespace anneal {

// Calls `write` with the temporary path to fill (it may be written by another program, e.g. a
// compiler), then publishes it as `path`. Throws anneal::Error naming `what` and the path.
void write_file_atomically(const std::string& path, const std::string& what,
                           FunctionRef<void(const std::string& tmp_path)> write);
// The common case: `bytes` become the file.
void write_file_atomically(const std::string& path, const std::string& what, const std::string& bytes);

// A fresh temporary name beside `path` (unique within this process), for writers that publish
// with their own rename; remove_orphaned_temporaries recognises it.
std::string temporary_path_for(const std::string& path);

// Removes the temporaries in `folder` left by processes that no longer run. Returns how many.
int remove_orphaned_temporaries(const std::string& folder);

}  // namespace anneal
