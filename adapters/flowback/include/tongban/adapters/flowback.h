// Batch flow-back import (数据回流): a CSV or JSON Lines file from a vertical ministry system
// upserted into the population or legal_entity registry by key (docs/import.md).
//
// How a file travels:
//  1. RecordReader (flowback_reader.h) hands over records with their line numbers; each is mapped
//     to the registry's columns and validated (flowback_schema.h). A malformed record goes to the
//     reject file (CSV: line,reason,record) and the import goes on.
//  2. Valid records gather into a batch (--batch-rows; a key repeated within a batch keeps its
//     last occurrence). A batch is COPYed into a temporary text staging table and applied with
//     one INSERT ... ON CONFLICT (key) DO UPDATE ... WHERE (the row differs): new keys are
//     inserted, changed rows updated (updated_at = now()), identical rows not touched at all —
//     so importing a file again changes nothing and fires no row trigger (the change feeds of the
//     verification core are filled by such triggers: every insert or update the import makes
//     goes through ordinary statements on the registry table and produces its change event).
//  3. In the same transaction the checkpoint (adapters.import_checkpoints, keyed by the file's
//     SHA-256 and the registry) records the byte offset and line just after the batch and the
//     counts, after the batch's rejects were written and fsynced. A crash loses at most the batch
//     in flight; the next run of the same file resumes after the last committed batch and ends
//     with the same table contents and reject file as one clean run.
//  4. A batch the database refuses (a constraint or trigger the validation did not foresee) is
//     applied again row by row, each in a savepoint: the refused rows are rejected with the
//     database's message, the others load.
//
// One import per registry at a time (a session advisory lock; a second waits up to 10 s, then
// fails). A file whose checkpoint says complete is not imported again unless `again` is set.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "tongban/adapters/flowback_reader.h"
#include "tongban/common/result.h"

namespace tongban::flowback {

struct ImportOptions {
  std::string conninfo;  // a role that may write the registries (the owner role)
  std::string registry;  // "population" | "legal_entity"
  std::string path;
  Format format = Format::kCsv;
  std::string reject_path;  // empty: path + ".rejects.csv"
  size_t batch_rows = 20000;
  bool again = false;  // import a file whose checkpoint says complete once more
};

struct ImportCounts {
  uint64_t read = 0;        // records (not counting the header and empty lines)
  uint64_t inserted = 0;    // new keys
  uint64_t updated = 0;     // existing keys whose row changed
  uint64_t unchanged = 0;   // existing keys whose row was identical: not written
  uint64_t rejected = 0;    // written to the reject file
  uint64_t superseded = 0;  // a later record of the same batch had the same key
};

struct ImportProgress {
  uint64_t records = 0;      // read in this run
  uint64_t bytes_done = 0;   // offset reached in the file
  uint64_t bytes_total = 0;  // file size
};

struct ImportReport {
  ImportCounts run;               // this run
  ImportCounts total;             // the file's, over every run (from the checkpoint)
  bool already_complete = false;  // nothing done: the file was imported before (see `again`)
  uint64_t resumed_at_line = 0;   // 0: started at the beginning
  std::string file_sha256;        // hex
  std::string reject_path;
  double seconds = 0;
};

using ProgressFn = std::function<void(const ImportProgress&)>;

// Imports `options.path`. Returns the report, or: kInvalidArgument (unknown registry, a header or
// first JSON record that does not map to the registry's columns, an unreadable file), kConflict
// (another import holds the registry), kUnavailable (the database cannot be reached or failed
// mid-way: run again to resume), kInternal. `progress` (may be empty) is called after each
// batch commits, on the calling thread. The file is read and validated on a second thread while
// the calling one applies the previous batch.
Result<ImportReport> importFile(const ImportOptions& options, const ProgressFn& progress);

}  // namespace tongban::flowback
