/* placeholder: being written */
typedef int tg__placeholder_main;
int main(void){return 0;}
