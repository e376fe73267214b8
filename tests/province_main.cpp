// ppe-province: writes the generated province as a city file, and optionally its snapshot as one
// import CSV per county, so that load tests can run a broker and nodes at province scale.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "tests/province.h"

int main(int argc, char** argv) {
  CLI::App app{"Writes a generated province (100 counties, 200 warehouses, 10,000 sites, 5 items)"};
  std::string out_path, csv_dir;
  ppe::ProvinceOptions options;
  app.add_option("--out", out_path, "city file to write")->required();
  app.add_option("--seed", options.seed, "generator seed (same seed, same province)");
  app.add_option("--csv-dir", csv_dir, "also write <county>.csv import files here");
  CLI11_PARSE(app, argc, argv);

  const ppe::Province province = ppe::GenerateProvince(options);
  std::ofstream city_file(out_path);
  ppe::WriteCityYaml(province.city, city_file);
  if (!city_file) {
    std::fprintf(stderr, "ppe-province: cannot write %s\n", out_path.c_str());
    return 1;
  }
  if (!csv_dir.empty()) {
    std::filesystem::create_directories(csv_dir);
    for (const ppe::County& county : province.city.counties()) {
      std::ofstream csv(std::filesystem::path(csv_dir) / (county.id + ".csv"));
      ppe::WriteImportCsv(province, county.id, csv);
      if (!csv) {
        std::fprintf(stderr, "ppe-province: cannot write %s/%s.csv\n", csv_dir.c_str(),
                     county.id.c_str());
        return 1;
      }
    }
  }
  return 0;
}
