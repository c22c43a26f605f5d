# tests: controller
