// `diffbench features SOURCE --inception W --out F.npy`: Inception features of a source, in its order.
#include <iostream>

#include "common/files.h"
#include "common/log.h"
#include "common/runtime.h"
#include "data/source.h"
#include "harness/args.h"
#include "harness/commands.h"
#include "io/npy.h"
#include "metrics/features.h"

namespace diffbench {

int cmd_features(const CommandArgs& argv) {
  Args args("diffbench features SOURCE --inception W [--protocol pytorch-fid|tf] [--layer pool3|logits|spatial] "
            "[--batch N] [--device D] [--threads N] --out F.npy [--force]",
            "Write the FID Inception features of every image of SOURCE (float32, N x D, in the source's order) "
            "to an .npy file.");
  args.positional("SOURCE", "image folder, dataset .zip, .npz, CIFAR-10 or idx folder");
  args.required_option("--inception", "W", "pt_inception-2015-12-05-6726825d.pth (any container), or random:SEED");
  args.option("--protocol", "P", "input protocol: pytorch-fid or tf", "pytorch-fid");
  args.option("--layer", "L", "pool3 (2048), logits (IS, 1008, no bias) or spatial (sFID, 2023)", "pool3");
  args.option("--batch", "N", "images per forward pass", "50");
  args.option("--device", "D", "cpu, cuda, cuda:N or auto", "cpu");
  args.option("--threads", "N", "CPU threads (images computed at once), 0 = all cores", "0");
  args.option("--split", "S", "train or test, for CIFAR-10 and idx sources", "train");
  args.flag("--fold-bn", "fold BatchNorm into the convolutions: faster, ~1e-4 away from the reference");
  args.required_option("--out", "F.npy", "output file (written atomically)");
  args.flag("--force", "replace --out if it exists");
  args.parse(argv);
  check_output_file(args.get("--out"), args.has("--force"), {args.get("SOURCE"), args.get("--inception")});

  FeatureLayer layer = parse_feature_layer(args.get("--layer"));
  configure_threads(args.get_int("--threads"));
  FeatureExtractorOptions o;
  o.weights = args.get("--inception");
  o.protocol = args.get("--protocol");
  o.batch_size = args.get_int("--batch");
  o.device = resolve_device(args.get("--device"));
  o.fold_batchnorm = args.has("--fold-bn");
  o.progress = !is_quiet();
  SourceOptions so;
  so.split = args.get("--split");
  auto source = open_source(args.get("SOURCE"), so);
  FeatureExtractor extractor(o);
  info("features: " + std::to_string(source->size()) + " images of " + source->path() + ", " +
       feature_layer_name(layer) + ", protocol " + protocol_name(extractor.protocol()) + ", weights sha256 " +
       (extractor.is_stand_in() ? std::string("(random stand-in)") : extractor.weights().sha256));
  ExtractOptions eo;
  eo.label = "features";
  FeatureBatch f = extractor.extract(*source, FeatureLayers::only(layer), eo);
  write_npy(args.get("--out"), f.get(layer));
  return 0;
}

}  // namespace diffbench
