/* placeholder: being written */
typedef int tg__placeholder_file_provider;
