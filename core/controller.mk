core_controller_sources += core/controller.c
