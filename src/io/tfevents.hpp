// TensorBoard event files, written from the format with no TensorFlow or protobuf library:
// TFRecords, each holding one hand-encoded `Event` protocol buffer.
//
// The format, as published in tensorflow/tensorflow and tensorflow/tensorboard:
//   record framing   tensorflow/core/lib/io/record_writer.cc,
//                    tensorboard/summary/writer/record_writer.py
//   Event            tensorflow/core/util/event.proto
//   Summary, Value   tensorflow/core/framework/summary.proto
//   file name        tensorboard/summary/writer/event_file_writer.py
#pragma once

#include <cstdint>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

namespace ladder::io {

// The form TFRecords store: a CRC computed over data that itself holds CRCs is weak, so
// stored CRCs are rotated and offset (tensorflow/core/lib/hash/crc32c.h).
uint32_t masked_crc32c(std::string_view bytes);

struct Scalar {
    std::string tag;
    float value = 0;
};

class EventFileWriter {
  public:
    // Creates `folder` if missing and a new event file in it, named as TensorBoard's own
    // writers name theirs, starting with the file-version record readers expect first.
    // The file is closed when the writer is destroyed.
    explicit EventFileWriter(const std::string& folder);

    const std::string& path() const { return path_; }

    // One Event at `step`, stamped with the current time, with one simple_value per scalar;
    // flushed, so a running TensorBoard (or a crash) sees every step written.
    void write_scalars(int64_t step, const std::vector<Scalar>& scalars);

    // A SessionLog START at `step`: TensorBoard drops the events of earlier files at this
    // step and after, so steps a resumed run logs again are not shown twice (as
    // SummaryWriter(purge_step=...) in tensorboard's writer does).
    void write_session_start(int64_t step);

  private:
    void write_record(const std::string& data);

    std::string path_;
    std::ofstream out_;
};

}  // namespace ladder::io
