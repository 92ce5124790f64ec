// The on-disk cache shared by the backends (compiled kernels), BEAM and io (downloaded assets):
// $ANNEAL_CACHE_DIR, else $XDG_CACHE_HOME/anneal, else ~/.cache/anneal, one subfolder per user.
//
// A cache must never fail a run: when its folder cannot be created or written (read-only, a path
// through a file, no permission), folder() says so once on stderr and hands out a private temporary
// folder instead (removed at exit), so the run goes on without caching.
#pragma once
#include <optional>
#include <string>

namespace anneal::disk_cache {

const std::string& root();
// `root()/sub`, created; or, when that cannot be written, a subfolder of this process's temporary one.
std::string folder(const std::string& sub);
// This process's private folder for `sub`, for a cache folder that failed mid-run (`why` is warned
// once, like folder()'s warning).
std::string stand_in_folder(const std::string& sub, const std::string& why);
void make_dirs(const std::string& path);
std::optional<std::string> read(const std::string& path);
// Writes through a temporary file and a rename (support/atomic_file.h), so readers never see half a
// file. A failure (a full disk) warns once and leaves the entry uncached.
void write(const std::string& path, const std::string& bytes);

}  // namespace anneal::disk_cache
