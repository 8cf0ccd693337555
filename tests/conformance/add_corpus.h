// The deterministic corpus the import conformance suite compares on.
//
// tree/: sizes around the chunk boundaries, unicode and space names, symlinks
// (relative, dangling, absolute, to a directory), a 16-level deep path, an
// empty directory, dotfiles, a directory big enough to shard and one that is
// not. big/: a file one byte past 174 × 256 KiB (a second balanced layer).
// Generated once per build directory; concurrent test processes wait on a lock.
#ifndef IPFSFS_TESTS_CONFORMANCE_ADD_CORPUS_H_
#define IPFSFS_TESTS_CONFORMANCE_ADD_CORPUS_H_

#include <string>

namespace ipfsfs::testing {

struct AddCorpus {
  std::string tree;      // directory
  std::string big;       // one large file
  std::string bad_tree;  // a directory holding a fifo
};

// Creates the corpus under `root` unless a complete one is there already.
const AddCorpus& GetAddCorpus(const std::string& root);

}  // namespace ipfsfs::testing

#endif  // IPFSFS_TESTS_CONFORMANCE_ADD_CORPUS_H_
